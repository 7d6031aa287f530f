// safetensors reading/writing and strict state-dict loading against files written by Python.
#include <QTest>

#include "io/tensor_io.h"
#include "weight_fixtures.h"

using namespace fvs;
namespace fs = std::filesystem;

class TestGpuSafeTensors : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path file(const char* name) const { return fs::path(m_dir.path().toStdString()) / name; }

    void expectModelError(const fs::path& path, const char* mustMention) {
        auto r = gpu::readSafeTensors(path);
        QVERIFY2(!r.ok(), path.c_str());
        QCOMPARE(r.error().code, core::ErrorCode::ModelError);
        QVERIFY2(r.error().message.find(path.string()) != std::string::npos,
                 r.error().message.c_str());
        if (mustMention)
            QVERIFY2(r.error().message.find(mustMention) != std::string::npos,
                     r.error().message.c_str());
    }

    // A copy of basic.safetensors whose JSON header is replaced by `json` (same data section).
    fs::path withHeader(const char* name, const std::string& json) {
        const auto original = test::readBytes(file("basic.safetensors"));
        uint64_t oldLen = 0;
        std::memcpy(&oldLen, original.data(), 8);
        std::vector<char> bytes(8);
        const uint64_t len = json.size();
        std::memcpy(bytes.data(), &len, 8);
        bytes.insert(bytes.end(), json.begin(), json.end());
        bytes.insert(bytes.end(), original.begin() + 8 + static_cast<long>(oldLen), original.end());
        const fs::path out = file(name);
        test::writeBytes(out, bytes);
        return out;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        const QString err = test::generateWeightFixtures(m_dir.path());
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void readsEveryDtypeExactly() {
        // GIVEN a safetensors file written by safetensors.torch.save_file with 10 dtypes/shapes
        const fs::path path = file("basic.safetensors");
        const auto expected = test::readExpected(QString::fromStdString(path.string()));
        QCOMPARE(expected.size(), size_t(10));
        for (const bool mapped : {true, false}) {
            // WHEN it is read mapped and unmapped
            gpu::ReadOptions options;
            options.memoryMap = mapped;
            auto r = gpu::readSafeTensors(path, options);
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
            // THEN every key has exactly the values Python wrote
            QCOMPARE(r->size(), expected.size());
            for (const auto& [key, exp] : expected) {
                QVERIFY2(r->count(key), key.c_str());
                const std::string diff = test::compareWithExpected(key, r->at(key), exp);
                QVERIFY2(diff.empty(), diff.c_str());
            }
        }
    }

    void mappedTensorsOutliveTheReadAndAcceptWrites() {
        // GIVEN tensors read through a mapping
        torch::Tensor t;
        {
            auto r = gpu::readSafeTensors(file("net.safetensors"));
            QVERIFY(r.ok());
            t = r->at("conv.weight");
        }
        const auto original = test::readBytes(file("net.safetensors"));
        // WHEN the map is gone and the tensor is written in place
        const float before = t.flatten()[0].item<float>();
        t.add_(1.0f);
        // THEN the tensor still reads and the file on disk is unchanged (private mapping)
        QCOMPARE(t.flatten()[0].item<float>(), before + 1.0f);
        QVERIFY(test::readBytes(file("net.safetensors")) == original);
    }

    void reportsProgressUpToTheTotal() {
        std::vector<std::pair<int64_t, int64_t>> calls;
        gpu::ReadOptions options;
        options.onProgress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
        auto r = gpu::readSafeTensors(file("basic.safetensors"), options);
        QVERIFY(r.ok());
        QVERIFY(calls.size() >= 2);
        QCOMPARE(calls.front().first, int64_t(0));
        QCOMPARE(calls.back().first, calls.back().second);
        QVERIFY(calls.back().second > 0);
        for (size_t i = 1; i < calls.size(); ++i)
            QVERIFY(calls[i].first >= calls[i - 1].first);
    }

    void headerOnlyReadGivesShapesAndDtypes() {
        auto h = gpu::readSafeTensorsHeader(file("basic.safetensors"));
        QVERIFY(h.ok());
        QCOMPARE(h->size(), size_t(10));
        QCOMPARE(h->at("f32").dtype, std::string("F32"));
        QCOMPARE(h->at("f32").shape, (std::vector<int64_t>{3, 4}));
        QCOMPARE(h->at("scalar").shape, std::vector<int64_t>{});
    }

    void writeThenReadRoundTrips() {
        // GIVEN tensors of several dtypes, one non-contiguous
        gpu::TensorMap in;
        in["a"] = torch::randn({3, 5}).t();
        in["b"] = torch::randn({4}).to(torch::kBFloat16);
        in["c"] = torch::arange(6, torch::kInt64).view({2, 3});
        in["d"] = torch::tensor({true, false, true});
        const fs::path path = file("written.safetensors");
        // WHEN written and read back
        QVERIFY(gpu::writeSafeTensors(path, in).ok());
        auto r = gpu::readSafeTensors(path);
        QVERIFY(r.ok());
        // THEN values and dtypes are equal, and no temporary file is left behind
        for (const auto& [key, t] : in) {
            QVERIFY(r->at(key).scalar_type() == t.scalar_type());
            QVERIFY2(torch::equal(r->at(key), t), key.c_str());
        }
        int files = 0;
        for (const auto& e : fs::directory_iterator(path.parent_path()))
            files += e.path().filename().string().rfind("written.safetensors", 0) == 0;
        QCOMPARE(files, 1);
    }

    void pythonReadsWhatWeWrite() {
        // GIVEN a file written by writeSafeTensors
        gpu::TensorMap in;
        in["x"] = torch::arange(12, torch::kFloat32).view({3, 4}) * 0.5;
        in["y"] = torch::arange(5, torch::kInt32);
        const fs::path path = file("for_python.safetensors");
        QVERIFY(gpu::writeSafeTensors(path, in).ok());
        // WHEN the real safetensors library loads it
        QProcess python;
        python.start(
            QStringLiteral(FVS_PYTHON),
            {"-c",
             "import sys; from safetensors.torch import load_file; d = load_file(sys.argv[1]); "
             "print(float(d['x'].sum()), int(d['y'].sum()), d['x'].shape, d['y'].dtype)",
             QString::fromStdString(path.string())});
        QVERIFY(python.waitForFinished(60000));
        // THEN it sees the same values
        QCOMPARE(python.readAllStandardOutput().trimmed(),
                 QByteArray("33.0 10 torch.Size([3, 4]) torch.int32"));
    }

    void truncatedFilesAreRejectedAtEveryCut() {
        // GIVEN a valid file cut at several places (inside the length, the header, the data)
        const auto bytes = test::readBytes(file("basic.safetensors"));
        for (size_t cut :
             {size_t(0), size_t(4), size_t(8), size_t(20), bytes.size() / 2, bytes.size() - 1}) {
            const fs::path path = file("cut.safetensors");
            test::writeBytes(
                path, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<long>(cut)));
            // THEN each is a ModelError naming the file, never a crash
            expectModelError(path, nullptr);
        }
    }

    void garbageAndBadHeadersAreRejected() {
        std::vector<char> garbage(4096);
        for (size_t i = 0; i < garbage.size(); ++i)
            garbage[i] = static_cast<char>((i * 2654435761u) >> 13);
        test::writeBytes(file("garbage.safetensors"), garbage);
        expectModelError(file("garbage.safetensors"), "header length");

        std::vector<char> hugeLen(64, 0);
        hugeLen[7] = 0x01;  // 2^56-byte header
        test::writeBytes(file("huge.safetensors"), hugeLen);
        expectModelError(file("huge.safetensors"), "header length");

        expectModelError(withHeader("notjson.safetensors", "{\"f32\": [1, 2"), "JSON");
        expectModelError(withHeader("unknown_dtype.safetensors",
                                    R"({"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})"),
                         "'x'");
        expectModelError(
            withHeader("out_of_range.safetensors",
                       R"({"x":{"dtype":"U8","shape":[100000],"data_offsets":[0,100000]}})"),
            "truncated");
        expectModelError(withHeader("size_mismatch.safetensors",
                                    R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})"),
                         "needs 12 bytes");
        expectModelError(withHeader("overlap.safetensors",
                                    R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                    R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"),
                         "overlaps");
        expectModelError(withHeader("negative.safetensors",
                                    R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})"),
                         "negative");
        // A size past int64 after a zero size (numel 0) was cast to -1 and made torch::empty
        // throw out of the reader (found by tests/fuzz/fuzz_safetensors).
        expectModelError(
            withHeader(
                "huge_dim.safetensors",
                R"({"x":{"dtype":"U8","shape":[0,18446744073709551615],"data_offsets":[0,0]}})"),
            "too large");
        QVERIFY(!gpu::readSafeTensorsHeader(file("huge_dim.safetensors")).ok());
        expectModelError(withHeader("bad_bool.safetensors",
                                    R"({"x":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}})"),
                         "BOOL");

        auto missing = gpu::readSafeTensors(file("does_not_exist.safetensors"));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code, core::ErrorCode::NotFound);
    }

    void loadStateDictCopiesEveryValue() {
        // GIVEN the state dict of Python's SmallNet and its C++ twin with zeroed weights
        auto r = gpu::readSafeTensors(file("net.safetensors"));
        QVERIFY(r.ok());
        test::SmallNetImpl net;
        // WHEN loaded strictly
        auto status = gpu::loadStateDict(net, *r, "net.safetensors");
        QVERIFY2(status.ok(), status.ok() ? "" : status.error().message.c_str());
        // THEN every parameter and buffer equals the file, including the int64 buffer
        const auto expected =
            test::readExpected(QString::fromStdString(file("net.safetensors").string()));
        QCOMPARE(net.named_parameters().size() + net.named_buffers().size(), expected.size());
        for (const auto& p : net.named_parameters()) {
            const std::string diff =
                test::compareWithExpected(p.key(), p.value(), expected.at(p.key()));
            QVERIFY2(diff.empty(), diff.c_str());
        }
        QCOMPARE(net.norm->num_batches_tracked.item<int64_t>(), int64_t(17));
    }

    void loadStateDictConvertsDtypeAndHonoursPrefix() {
        auto r = gpu::readSafeTensors(file("net.safetensors"));
        QVERIFY(r.ok());
        // GIVEN the keys under a prefix, in bf16, plus keys of another module
        gpu::TensorMap prefixed;
        for (const auto& [k, v] : *r)
            prefixed["model." + k] = v.is_floating_point() ? v.to(torch::kBFloat16) : v;
        prefixed["encoder.other"] = torch::zeros({3});
        test::SmallNetImpl net;
        // WHEN loaded with prefix "model."
        auto status = gpu::loadStateDict(net, prefixed, "prefixed", "model.");
        QVERIFY2(status.ok(), status.ok() ? "" : status.error().message.c_str());
        // THEN the fp32 parameters hold the bf16 values converted
        QVERIFY(net.conv->weight.scalar_type() == torch::kFloat32);
        QVERIFY(torch::equal(net.conv->weight,
                             r->at("conv.weight").to(torch::kBFloat16).to(torch::kFloat32)));
    }

    void loadStateDictRejectsMismatchesAndLeavesTheModuleUntouched() {
        auto r = gpu::readSafeTensors(file("net.safetensors"));
        QVERIFY(r.ok());
        struct Case {
            const char* name;
            std::function<void(gpu::TensorMap&)> edit;
            const char* mustMention;
        };
        const std::vector<Case> cases = {
            {"missing", [](gpu::TensorMap& m) { m.erase("blocks.0.bias"); },
             "missing keys (1):\n    'blocks.0.bias' (5)"},
            {"unexpected", [](gpu::TensorMap& m) { m["blocks.9.weight"] = torch::zeros({2}); },
             "unexpected keys (1):\n    'blocks.9.weight' (2)"},
            {"shape",
             [](gpu::TensorMap& m) {
                 m["conv.weight"] = torch::zeros({4, 3, 3, 3, 3});
             },
             "'conv.weight': file has (4, 3, 3, 3, 3), model expects (4, 3, 2, 3, 3)"},
            {"dtype", [](gpu::TensorMap& m) { m["norm.num_batches_tracked"] = torch::tensor(1.5); },
             "'norm.num_batches_tracked': file has Float, model expects Long"},
        };
        for (const auto& c : cases) {
            gpu::TensorMap edited = *r;
            c.edit(edited);
            test::SmallNetImpl net;
            net.gamma.data().fill_(42.0f);
            auto status = gpu::loadStateDict(net, edited, "LQ_proj_in.ckpt");
            QVERIFY2(!status.ok(), c.name);
            QCOMPARE(status.error().code, core::ErrorCode::ModelError);
            const std::string& msg = status.error().message;
            QVERIFY2(msg.find("LQ_proj_in.ckpt") != std::string::npos, msg.c_str());
            QVERIFY2(msg.find(c.mustMention) != std::string::npos, msg.c_str());
            QVERIFY2(torch::all(net.gamma == 42.0f).item<bool>(), c.name);
        }
    }
};

QTEST_GUILESS_MAIN(TestGpuSafeTensors)
#include "test_gpu_safetensors.moc"
