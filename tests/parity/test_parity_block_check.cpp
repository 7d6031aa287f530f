// `flashvsr debug block` (runBlockCheck): one DiT block of the reduced e2e_v11 model run alone on
// the reference's taps with the reference's block mask injected (tests/data/parity/block_taps, the
// tap format of gpu_reference.py --taps), in fp32 on the CPU; and the clear errors for taps that
// do not fit the model.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "engine/flashvsr_model.h"
#include "parity_dit_util.h"
#include "tools/block_check.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;
using fvs::core::ErrorCode;

namespace {

constexpr double kTol = 1e-4;  // issue #3 §4: fp32 parity

std::filesystem::path tapsFile() {
    return parityDataDir() / "block_taps/taps.safetensors";
}

FlashVsrOptions cpuFp32() {
    FlashVsrOptions o;
    o.model.device = torch::kCPU;
    o.model.dtype = torch::kFloat32;
    return o;
}

}  // namespace

class TestParityBlockCheck : public QObject {
    Q_OBJECT
    std::shared_ptr<FlashVsrModel> m_model;
    BlockTaps m_taps;

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(2);
        auto model = FlashVsrModel::load(parityDataDir() / "e2e_v11", cpuFp32().model);
        QVERIFY2(model.ok(), model.ok() ? "" : model.error().message.c_str());
        m_model = *model;
        auto taps = readBlockTaps(tapsFile(), cpuFp32());
        QVERIFY2(taps.ok(), taps.ok() ? "" : taps.error().message.c_str());
        m_taps = *taps;
    }

    void tapFileIsRead() {
        // GIVEN the golden tap file THEN its metadata and tensors describe chunk 1 of block 1
        QCOMPARE(m_taps.chunk, int64_t{1});
        QCOMPARE(m_taps.ropeT0, int64_t{6});
        QCOMPARE((std::vector<int64_t>{m_taps.f, m_taps.h, m_taps.w}),
                 (std::vector<int64_t>{2, 8, 16}));
        QCOMPARE(m_taps.kvRatio, 2.0);
        QCOMPARE(m_taps.localRange, int64_t{3});
        QCOMPARE(m_taps.topk, int64_t{2});
        QCOMPARE(m_taps.blocks.size(), size_t{1});
        QCOMPARE(m_taps.blocks[0].index, int64_t{1});
        QVERIFY(m_taps.blocks[0].cacheKIn.defined());
    }

    void blockMatchesReferenceWithInjectedMask() {
        // GIVEN the model folder and the taps, WHEN the check runs as `flashvsr debug block` does
        BlockCheckRequest request;
        request.modelsDir = (parityDataDir() / "e2e_v11").string();
        request.tapsPath = tapsFile().string();
        request.options = "device=cpu,dtype=fp32";
        request.tolerance = kTol;
        auto report = runBlockCheck(request);
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().message.c_str());
        // THEN the block output and the new KV cache match the reference in fp32
        QCOMPARE(report->blocks.size(), size_t{1});
        const auto& b = report->blocks[0];
        qInfo(
            "block %lld: x_out rel %.3g, cache_k rel %.3g, cache_v rel %.3g, t_mod rel %.3g, "
            "flips %lld, empty %lld",
            static_cast<long long>(b.block), b.xOut, b.cacheK, b.cacheV, report->tModRel,
            static_cast<long long>(b.maskFlips), static_cast<long long>(b.emptyQueryBlocks));
        QVERIFY(b.xOut <= kTol);
        QVERIFY(b.cacheK <= kTol);
        QVERIFY(b.cacheV <= kTol);
        QVERIFY(report->tModRel <= kTol);
        QVERIFY(b.pass && report->pass);
        // AND our own mask selection agrees with the reference's (no flips), incl. its empty block
        QCOMPARE(b.maskFlips, int64_t{0});
        QCOMPARE(b.maskEntries, int64_t{2 * 2 * 6});
        QCOMPARE(b.emptyQueryBlocks, int64_t{1});
        QCOMPARE(report->topk, int64_t{2});
        QCOMPARE(report->kvGroups, int64_t{2});
        // AND the JSON report carries the numbers
        const std::string json = blockCheckJson(*report);
        QVERIFY(json.find("\"x_out_rel\"") != std::string::npos);
        QVERIFY(json.find("\"pass\": true") != std::string::npos);
    }

    void aDifferentResultFailsTheTolerance() {
        // GIVEN taps whose reference output is off by 1 % (a wrong port would look like this)
        BlockTaps taps = m_taps;
        taps.blocks[0].xOut = taps.blocks[0].xOut * 1.01;
        // WHEN checked THEN the block fails and the whole check fails
        auto report = checkBlocks(m_model->dit(), taps, kTol);
        QVERIFY(report.ok());
        QVERIFY(report->blocks[0].xOut > 5e-3);
        QVERIFY(!report->blocks[0].pass);
        QVERIFY(!report->pass);
        // AND another injected mask changes the result (the injection is really used)
        BlockTaps dense = m_taps;
        dense.blocks[0].mask = torch::ones_like(dense.blocks[0].mask);
        auto r2 = checkBlocks(m_model->dit(), dense, kTol);
        QVERIFY(r2.ok());
        QVERIFY(r2->blocks[0].xOut > 1e-3);
        QVERIFY(r2->blocks[0].maskFlips > 0);
    }

    void tapsThatDoNotFitAreClearErrors() {
        auto expectError = [&](const BlockTaps& taps, const char* needle) {
            auto r = checkBlocks(m_model->dit(), taps, kTol);
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, ErrorCode::InvalidInput);
            QVERIFY2(r.error().message.find(needle) != std::string::npos,
                     r.error().message.c_str());
        };
        // t_mod of another model width
        BlockTaps other = m_taps;
        other.tMod = torch::zeros({1, 6, 128});
        expectError(other, "t_mod (1, 6, 128) does not fit the model (dim 96");
        // a block the model does not have
        BlockTaps block = m_taps;
        block.blocks[0].index = 5;
        expectError(block, "the model has 2 blocks");
        // a grid that does not match x_in
        BlockTaps grid = m_taps;
        grid.w = 8;
        grid.topk = -1;  // (the recorded topk belongs to the 8x16 grid)
        expectError(grid, "do not fit the grid (2, 8, 8)");
        // a mask of the wrong shape
        BlockTaps mask = m_taps;
        mask.blocks[0].mask = mask.blocks[0].mask.slice(2, 0, 4);
        expectError(mask, "mask (2, 2, 4), expected (1, 2, 2, 6)");
        // settings that contradict the reference's recorded topk
        BlockTaps topk = m_taps;
        topk.sparseRatio = 2.0;
        expectError(topk, "the reference used topk 2");
    }

    void badTapFilesAreClearErrors() {
        // a file without the tap metadata (written without it)
        const auto dir = std::filesystem::temp_directory_path() / "fvs_parity_block_check";
        std::filesystem::create_directories(dir);
        TensorMap plain{{"tap.t_mod", m_taps.tMod}};
        QVERIFY(writeSafeTensors(dir / "plain.safetensors", plain).ok());
        auto r = readBlockTaps(dir / "plain.safetensors", cpuFp32());
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::InvalidInput);
        QVERIFY(r.error().message.find("'chunk'") != std::string::npos);
        // a file that is not safetensors
        { std::ofstream(dir / "junk.safetensors") << "not a tensor file"; }
        auto junk = readBlockTaps(dir / "junk.safetensors", cpuFp32());
        QVERIFY(!junk.ok());
        QCOMPARE(junk.error().code, ErrorCode::InvalidInput);
        // a missing file and a missing model folder
        BlockCheckRequest request;
        request.modelsDir = (parityDataDir() / "e2e_v11").string();
        request.tapsPath = (dir / "missing.safetensors").string();
        auto missing = runBlockCheck(request);
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
        request.tapsPath = tapsFile().string();
        request.modelsDir = (dir / "no-models").string();
        request.options = "device=cpu,dtype=fp32";
        auto noModel = runBlockCheck(request);
        QVERIFY(!noModel.ok());
        QCOMPARE(noModel.error().code, ErrorCode::NotFound);
        std::filesystem::remove_all(dir);
    }
};

QTEST_GUILESS_MAIN(TestParityBlockCheck)
#include "test_parity_block_check.moc"
