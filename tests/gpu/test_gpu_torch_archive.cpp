// torch.save archives (.ckpt/.pth) read by our own unpickler, against files written by Python
// torch.
#include <QTest>

#include "io/pickle_reader.h"
#include "io/tensor_io.h"
#include "weight_fixtures.h"

using namespace fvs;
namespace fs = std::filesystem;

class TestGpuTorchArchive : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    fs::path file(const char* name) const { return fs::path(m_dir.path().toStdString()) / name; }

    void expectMatchesPython(const char* name, bool mapped) {
        gpu::ReadOptions options;
        options.memoryMap = mapped;
        auto r = gpu::readTorchArchive(file(name), options);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        const auto expected = test::readExpected(QString::fromStdString(file(name).string()));
        QVERIFY2(!expected.empty(), name);
        QCOMPARE(r->size(), expected.size());
        for (const auto& [key, exp] : expected) {
            QVERIFY2(r->count(key), (std::string(name) + ": no key '" + key + "'").c_str());
            const std::string diff = test::compareWithExpected(key, r->at(key), exp);
            QVERIFY2(diff.empty(), (std::string(name) + ": " + diff).c_str());
        }
    }

    std::string expectModelError(const char* name) {
        auto r = gpu::readTorchArchive(file(name));
        if (r.ok())
            return std::string(name) + " was accepted";
        if (r.error().code != core::ErrorCode::ModelError)
            return std::string(name) + ": wrong error code";
        if (r.error().message.find(file(name).string()) == std::string::npos)
            return "message does not name the file: " + r.error().message;
        return r.error().message;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        const QString err = test::generateWeightFixtures(m_dir.path());
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void readsStateDictsAsPythonWroteThem_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"net.ckpt", "net_model_state.pth", "net_state_dict.pth", "views.pth",
                              "mixed.pth", "prompt.pth", "deflated.pth"})
            QTest::newRow(n) << QString(n);
    }
    void readsStateDictsAsPythonWroteThem() {
        // GIVEN an OrderedDict state dict, wrapped dicts, views of one storage,
        // bf16/fp16/fp32/int64/bool, a single bf16 tensor and a deflated re-zip — all written by
        // torch.save
        QFETCH(QString, name);
        // WHEN read mapped and unmapped THEN every key holds exactly Python's values
        expectMatchesPython(qPrintable(name), true);
        expectMatchesPython(qPrintable(name), false);
    }

    void viewsShareOneStorageWithTheirStrides() {
        auto r = gpu::readTorchArchive(file("views.pth"));
        QVERIFY(r.ok());
        const auto& m = *r;
        // THEN all views point into one storage, at their offsets, with their strides
        const auto* base = static_cast<const char*>(m.at("whole").data_ptr());
        QCOMPARE(static_cast<const char*>(m.at("a").data_ptr()) - base, ptrdiff_t(10 * 4));
        QCOMPARE(static_cast<const char*>(m.at("bt").data_ptr()) - base, ptrdiff_t(20 * 4));
        QCOMPARE(m.at("bt").strides().vec(), (std::vector<int64_t>{1, 6}));
        QCOMPARE(m.at("every3").strides().vec(), (std::vector<int64_t>{3}));
        QVERIFY(m.at("a").storage().data() == m.at("whole").storage().data());
        // AND the mapped views stay valid after the map of results is gone
        torch::Tensor keep = m.at("bt");
        const auto expected =
            test::readExpected(QString::fromStdString(file("views.pth").string()));
        r = core::makeError(core::ErrorCode::Internal, "dropped");
        QVERIFY(test::compareWithExpected("bt", keep, expected.at("bt")).empty());
    }

    void progressCoversEveryStorage() {
        std::vector<std::pair<int64_t, int64_t>> calls;
        gpu::ReadOptions options;
        options.onProgress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
        QVERIFY(gpu::readTorchArchive(file("net.ckpt"), options).ok());
        QVERIFY(calls.size() >= 3);
        QCOMPARE(calls.front().first, int64_t(0));
        QCOMPARE(calls.back().first, calls.back().second);
        QVERIFY(calls.back().second >= 4 * (3 * 4 * 2 * 3 * 3));  // at least the conv weight
    }

    void loadsIntoTheMatchingModule() {
        auto r = gpu::readTorchArchive(file("net.ckpt"));
        QVERIFY(r.ok());
        test::SmallNetImpl net;
        auto status = gpu::loadStateDict(net, *r, "net.ckpt");
        QVERIFY2(status.ok(), status.ok() ? "" : status.error().message.c_str());
        QCOMPARE(net.norm->num_batches_tracked.item<int64_t>(), int64_t(17));
        const auto expected = test::readExpected(QString::fromStdString(file("net.ckpt").string()));
        QVERIFY(
            test::compareWithExpected("conv.weight", net.conv->weight, expected.at("conv.weight"))
                .empty());
    }

    void refusesCodeExecution() {
        // GIVEN a torch.save file whose pickle calls os.system
        const std::string msg = expectModelError("evil.pth");
        // THEN it is refused by name and nothing ran
        QVERIFY2(msg.find("refusing global") != std::string::npos &&
                     msg.find("system") != std::string::npos,
                 msg.c_str());
        QVERIFY(!fs::exists(file("pwned.txt")) && !fs::exists("pwned.txt"));
    }

    void rejectsWhatIsNotAStateDict() {
        std::string msg = expectModelError("non_tensor.pth");
        QVERIFY2(msg.find("'n' is a int") != std::string::npos, msg.c_str());
        msg = expectModelError("big_endian.pth");
        QVERIFY2(msg.find("byte order") != std::string::npos, msg.c_str());
        msg = expectModelError("missing_record.pth");
        QVERIFY2(
            msg.find("data/3") != std::string::npos && msg.find("missing") != std::string::npos,
            msg.c_str());
        msg = expectModelError("short_record.pth");
        QVERIFY2(msg.find("data/1") != std::string::npos, msg.c_str());
        msg = expectModelError("basic.safetensors");
        QVERIFY2(msg.find("not a PyTorch zip archive") != std::string::npos, msg.c_str());
        QCOMPARE(gpu::readTorchArchive(file("absent.pth")).error().code, core::ErrorCode::NotFound);
    }

    void truncatedAndGarbledArchivesGiveErrors() {
        // GIVEN net.ckpt and views.pth cut at many places, and garbage after a zip signature
        for (const char* name : {"net.ckpt", "views.pth"}) {
            const auto bytes = test::readBytes(file(name));
            for (size_t cut = 0; cut < bytes.size();
                 cut += std::max<size_t>(1, bytes.size() / 37)) {
                test::writeBytes(file("cut.pth"),
                                 std::vector<char>(bytes.begin(), bytes.begin() + long(cut)));
                const std::string msg = expectModelError("cut.pth");
                QVERIFY2(msg.find("cut.pth") != std::string::npos, msg.c_str());
            }
        }
        std::vector<char> garbage(3000);
        for (size_t i = 0; i < garbage.size(); ++i)
            garbage[i] = char((i * 2654435761u) >> 11);
        std::memcpy(garbage.data(), "PK\x03\x04", 4);
        test::writeBytes(file("garbage.pth"), garbage);
        const std::string msg = expectModelError("garbage.pth");
        QVERIFY2(msg.find("corrupt") != std::string::npos, msg.c_str());
    }

    void everyPickleMutationIsHandled() {
        // GIVEN the data.pkl of net.ckpt and a resolver that makes zero storages of the requested
        // size
        const auto pickle = test::readBytes(file("net.data.pkl"));
        QVERIFY(pickle.size() > 100);
        gpu::PickleHooks hooks;
        hooks.persistentLoad = [](const gpu::PickleValue& pid) -> core::Result<gpu::PickleRef> {
            if (pid.kind != gpu::PickleValue::Kind::Tuple || pid.items.size() != 5 ||
                pid.items[4]->kind != gpu::PickleValue::Kind::Int || pid.items[4]->intValue < 0 ||
                pid.items[4]->intValue > 4096 ||
                pid.items[1]->kind != gpu::PickleValue::Kind::Global ||
                !gpu::storageScalarType(pid.items[1]->text))
                return core::makeError(core::ErrorCode::ModelError, "bad id");
            auto s = std::make_shared<gpu::PickleValue>();
            s->kind = gpu::PickleValue::Kind::Storage;
            s->tensor =
                torch::zeros({pid.items[4]->intValue}, *gpu::storageScalarType(pid.items[1]->text));
            return s;
        };
        const auto* data = reinterpret_cast<const uint8_t*>(pickle.data());
        QVERIFY(gpu::readPickle(data, pickle.size(), hooks, "net").ok());
        // WHEN every prefix is parsed THEN each is an error (no STOP), never a crash
        for (size_t n = 0; n < pickle.size(); ++n)
            QVERIFY(!gpu::readPickle(data, n, hooks, "net").ok());
        // WHEN each byte is replaced by several values THEN the reader returns (ok or error), never
        // crashes, and anything accepted is still a dict of tensors or a tensor
        int accepted = 0;
        for (size_t i = 0; i < pickle.size(); ++i)
            for (uint8_t v :
                 {uint8_t(0x00), uint8_t(0xff), uint8_t(pickle[i] ^ 1), uint8_t('R'), uint8_t('b'),
                  uint8_t('Q'), uint8_t('.'), uint8_t('h'), uint8_t(0x8a)}) {
                std::vector<char> mutated = pickle;
                mutated[i] = char(v);
                auto r = gpu::readPickle(reinterpret_cast<const uint8_t*>(mutated.data()),
                                         mutated.size(), hooks, "m");
                if (r.ok())
                    ++accepted;
            }
        QVERIFY(accepted > 0);  // e.g. changed key letters still parse
    }

    void selfReferencesAndLateChangesAreRefused() {
        // GIVEN pickles that torch.save never writes (found by tests/fuzz/fuzz_pickle): a list
        // appended to itself (a shared_ptr cycle: leaked), a list changed after it was stored in a
        // tuple, a dict whose key is a list changed later (a cycle through the key)
        const auto pickleOf = [](std::initializer_list<int> bytes) {
            std::string s;
            for (int b : bytes)
                s.push_back(static_cast<char>(b));
            return s;
        };
        const std::pair<std::string, const char*> cases[] = {
            {pickleOf({0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'}), "contains itself"},
            {pickleOf({0x80, 2, ']', 'q', 0, 0x85, 'h', 0, 'K', 1, 'a', '.'}),
             "changed after it was stored"},
            {pickleOf({0x80, 2, '}', 'q', 0, ']', 'q', 1, 'K', 1, 's', 'h', 1, 'h', 0, 'a', '.'}),
             "changed after it was stored"},
        };
        for (const auto& [bytes, expected] : cases) {
            // WHEN read THEN a ModelError says why (the first one used to leak its cycle)
            auto r = gpu::readPickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                     {}, "late.pkl");
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, core::ErrorCode::ModelError);
            QVERIFY2(r.error().message.find(expected) != std::string::npos,
                     r.error().message.c_str());
        }
        // AND the same containers filled before they are stored still load
        const std::string nested = pickleOf(
            {0x80, 2, '}', 'q', 0, 'X', 1, 0, 0, 0, 'a', ']', 'q', 1, 'K', 1, 'a', 's', '.'});
        auto ok = gpu::readPickle(reinterpret_cast<const uint8_t*>(nested.data()), nested.size(),
                                  {}, "nested.pkl");
        QVERIFY2(ok.ok(), ok ? "" : ok.error().message.c_str());
        QCOMPARE(ok.value()->entries.size(), size_t(1));
        QCOMPARE(ok.value()->entries[0].second->items.size(), size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestGpuTorchArchive)
#include "test_gpu_torch_archive.moc"
