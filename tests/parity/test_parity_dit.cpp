// Parity of the FlashVSR DiT with the official implementation (CPU, fp32): the constants of
// init_cross_kv, the RoPE tables, one DiT block over two streaming chunks with injected block
// masks, and the LCSA mask selection itself. Goldens: tests/data/parity (tests/parity/tools).

#include <QtTest>

#include "model/rope.h"
#include "model/sparse_attention.h"
#include "model/wan_block.h"
#include "model/wan_dit.h"
#include "parity_dit_util.h"

using namespace fvs::gpu;
using namespace fvs::gpu::testing;

namespace {
constexpr double kTol = 1e-5;  // isolated ops in fp32 (spec §7.2); the bar is 1e-4

}  // namespace

class TestParityDit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void constantsMatchReference();
    void ropeTablesMatchReference();
    void blockMatchesReferenceOverTwoChunks();
    void maskSelectionHasZeroFlips_data();
    void maskSelectionHasZeroFlips();
    void topkArithmeticFollowsReference();
};

void TestParityDit::constantsMatchReference() {
    // GIVEN the reduced e2e DiT (dim 96, 2 heads, 2 layers, text 32) with the golden's weights
    torch::NoGradGuard noGrad;
    auto g = loadGolden("constants.safetensors");
    WanConfig cfg;
    cfg.dim = 96;
    cfg.numHeads = 2;
    cfg.numLayers = 2;
    cfg.ffnDim = 192;
    cfg.textDim = 32;
    cfg.freqDim = 256;
    WanDit dit(cfg);
    QVERIFY(copyParams(*dit, g, "weight.") > 10);
    // WHEN the constants are computed from the prompt embedding
    dit->initConstants(golden(g, "input.context"));
    // THEN each matches the reference
    auto check = [&](const torch::Tensor& mine, const std::string& key) {
        const double e = relErr(mine, golden(g, key));
        qInfo("%s rel %.3g", key.c_str(), e);
        QVERIFY2(e <= kTol, key.c_str());
    };
    check(sinusoidalEmbedding(256, 1000.0, torch::kFloat32, torch::kCPU), "output.sinusoid");
    check(dit->contextEmbedded(), "output.ctx_txt");
    check(dit->t(), "output.t");
    check(dit->tMod(), "output.t_mod");
    for (int b = 0; b < 2; ++b) {
        auto block = dit->blocks->ptr<WanBlockImpl>(b);
        check(block->cross_attn->cacheK(), "output.cross_k." + std::to_string(b));
        check(block->cross_attn->cacheV(), "output.cross_v." + std::to_string(b));
    }
}

void TestParityDit::ropeTablesMatchReference() {
    // GIVEN the reference's precomputed tables (head_dim 24 → split 8/8/8, first 64 rows)
    auto g = loadGolden("dit_block/block.safetensors");
    const int64_t rows = 64;
    // WHEN our on-the-fly phases are computed for a 64-long axis
    auto alongT = ropePhases(24, 0, rows, 1, 1, torch::kCPU);  // (64, 1, 12)
    auto alongH = ropePhases(24, 0, 1, rows, 1, torch::kCPU);
    auto alongW = ropePhases(24, 0, 1, 1, rows, torch::kCPU);
    // THEN the t/h/w slices equal the tables
    auto asReal = [](const torch::Tensor& p, int64_t from, int64_t to) {
        return torch::view_as_real(p.squeeze(1).slice(1, from, to).contiguous());
    };
    QVERIFY(relErr(asReal(alongT, 0, 4), golden(g, "input.rope_t")) < 1e-12);
    QVERIFY(relErr(asReal(alongH, 4, 8), golden(g, "input.rope_h")) < 1e-12);
    QVERIFY(relErr(asReal(alongW, 8, 12), golden(g, "input.rope_w")) < 1e-12);
    // AND positions far beyond the reference's 1024-row table are defined (no length limit)
    auto far = ropePhases(24, 5000, 2, 1, 1, torch::kCPU);
    QVERIFY(torch::isfinite(torch::view_as_real(far)).all().item<bool>());
}

void TestParityDit::blockMatchesReferenceOverTwoChunks() {
    // GIVEN the reduced block (dim 48, 2 heads of 24, grid h=8 w=16 → ws=2) with the golden weights
    torch::NoGradGuard noGrad;
    auto shared = loadGolden("dit_block/block.safetensors");
    WanBlock block(48, 96, 2, 1e-6);
    QCOMPARE(copyParams(*block, shared, "weight.blocks.0."), 27);
    block->cross_attn->initCache(golden(shared, "input.ctx_txt"));
    QVERIFY(relErr(block->cross_attn->cacheK(), golden(shared, "input.cross_k")) <= kTol);
    QVERIFY(relErr(block->cross_attn->cacheV(), golden(shared, "input.cross_v")) <= kTol);
    KvCache cache;
    AttentionStats stats;
    for (int chunk = 0; chunk < 2; ++chunk) {
        auto io = loadGolden("dit_block/chunk" + std::to_string(chunk) + ".safetensors");
        if (chunk == 0) {
            for (auto& [k, v] : loadGolden("dit_block/chunk0_taps.safetensors")) {
                io[k] = v;
            }
        }
        const int64_t f = chunk == 0 ? 6 : 2;
        const int64_t t0 = chunk == 0 ? 0 : 4 + 2 * chunk;
        std::map<std::string, torch::Tensor> taps;
        DitHooks hooks;
        hooks.tap = [&](const std::string& name, const torch::Tensor& t) {
            taps[name] = t.clone();
        };
        hooks.injectMask = [&](int64_t) { return golden(io, "input.block_mask"); };
        SelfAttentionContext ctx;
        ctx.phases = ropePhases(24, t0, f, 8, 16, torch::kCPU);
        ctx.local = localBlockMask(1, 2, 11, torch::kCPU);
        ctx.f = f;
        ctx.h = 8;
        ctx.w = 16;
        ctx.topk = 0;
        ctx.kvGroups = 3;
        ctx.hooks = &hooks;
        ctx.stats = &stats;
        // WHEN the block runs on the chunk's input with the injected mask
        auto y = block->forward(golden(io, "input.x"), golden(shared, "input.t_mod"), ctx, cache);
        // THEN the output, the taps and the new KV cache match
        auto check = [&](const torch::Tensor& mine, const std::string& key) {
            const double e = relErr(mine, golden(io, key));
            qInfo("chunk %d %s rel %.3g", chunk, key.c_str(), e);
            QVERIFY2(e <= kTol, (key + " chunk " + std::to_string(chunk)).c_str());
        };
        check(taps.at("blocks.0.q"), "tap.q");
        check(taps.at("blocks.0.k").slice(0, -taps.at("blocks.0.q").size(0)), "tap.k_new");
        check(taps.at("blocks.0.attn"), "tap.attn");
        check(taps.at("blocks.0.self_attn_out"), "tap.self_attn_out");
        check(y, "output.x");
        check(cache.k, "output.cache_k");
        check(cache.v, "output.cache_v");
        // AND the injected mask's empty query block (head 0, block 1) really outputs zeros
        auto attn = taps.at("blocks.0.attn").view({-1, 128, 2, 24});
        QCOMPARE(attn[1].select(1, 0).abs().max().item<float>(), 0.0f);
    }
    QVERIFY(stats.emptyQueryBlocks >= 2);
}

void TestParityDit::maskSelectionHasZeroFlips_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("groups");
    QTest::addColumn<int>("blockRows");
    QTest::addColumn<int>("blockCols");
    QTest::addColumn<int>("localRange");
    QTest::addColumn<double>("topkRatio");
    QTest::addColumn<int>("emptyBlocks");
    // Values from each golden's metadata (config).
    QTest::newRow("dense chunk 0")
        << "lcsa_mask/dense_chunk0.safetensors" << 2 << 3 << 2 << 2 << 11 << 30.0 << 0;
    QTest::newRow("sparse chunk 0")
        << "lcsa_mask/sparse_chunk0.safetensors" << 2 << 3 << 4 << 3 << 3 << 0.8 << 2;
    QTest::newRow("sparse chunk k")
        << "lcsa_mask/sparse_chunkk.safetensors" << 2 << 1 << 4 << 3 << 3 << 0.8 << 1;
}

void TestParityDit::maskSelectionHasZeroFlips() {
    QFETCH(QString, file);
    QFETCH(int, heads);
    QFETCH(int, groups);
    QFETCH(int, blockRows);
    QFETCH(int, blockCols);
    QFETCH(int, localRange);
    QFETCH(double, topkRatio);
    QFETCH(int, emptyBlocks);
    // GIVEN window-order q/k (bf16, as the reference computes the draft mask)
    auto g = loadGolden(file.toStdString());
    // WHEN the local window and the draft mask are computed
    auto local = localBlockMask(blockRows, blockCols, localRange, torch::kCPU);
    const int64_t topk = lcsaTopk(blockRows * blockCols, topkRatio);
    auto mask =
        lcsaBlockMask(golden(g, "input.q_w"), golden(g, "input.k_w"), heads, groups, topk, local);
    // THEN both equal the reference exactly: zero flips
    QVERIFY(torch::equal(local, golden(g, "output.local_mask")));
    const auto flips = (mask != golden(g, "output.block_mask")).sum().item<int64_t>();
    qInfo("%s: %lld flips", qPrintable(file), static_cast<long long>(flips));
    QCOMPARE(flips, int64_t{0});
    QCOMPARE(mask[0].any(-1).logical_not().sum().item<int64_t>(), int64_t{emptyBlocks});
}

void TestParityDit::topkArithmeticFollowsReference() {
    // GIVEN the worked values of spec §3.3 (sparse_ratio 2.0)
    // THEN topk_ratio and topk follow the reference's double arithmetic
    QCOMPARE(lcsaTopk(66, lcsaTopkRatio(2.0, 768, 1408)), int64_t{7919});
    QCOMPARE(lcsaTopk(60, lcsaTopkRatio(2.0, 768, 1280)), int64_t{7199});
    QCOMPARE(lcsaTopk(12, lcsaTopkRatio(2.0, 384, 512)), int64_t{1439});
    QCOMPARE(lcsaTopkRatio(0.0625, 128, 256), 1.875);
}

QTEST_GUILESS_MAIN(TestParityDit)
#include "test_parity_dit.moc"
