// The varlen layout behind the CUDA block-sparse attention (packVarlenBlocks): computed sequence by
// sequence it must equal the reference block-sparse attention, including query blocks that select
// nothing and masks whose rows select different numbers of key blocks. On the GPU the same layout
// goes to flash attention's varlen kernel (parity measured there, docs/parity.md).

#include <QtTest>

#include "model/sparse_attention.h"

using namespace fvs::gpu;

class TestSparseAttention : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void varlenLayoutEqualsReference_data();
    void varlenLayoutEqualsReference();
    void packedShapesFollowTheMask();
    void runLayoutEqualsReference_data();
    void runLayoutEqualsReference();
    void runsFollowConsecutiveBlocks();
};

void TestSparseAttention::varlenLayoutEqualsReference_data() {
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("headBegin");
    QTest::addColumn<int>("headEnd");
    QTest::newRow("all heads") << 3 << 0 << 3;
    QTest::newRow("a slice of heads") << 3 << 1 << 3;
    QTest::newRow("one head") << 2 << 0 << 1;
}

void TestSparseAttention::varlenLayoutEqualsReference() {
    QFETCH(int, heads);
    QFETCH(int, headBegin);
    QFETCH(int, headEnd);
    // GIVEN 4 query blocks, 6 key blocks, head_dim 16 and a random mask with an empty row per head
    torch::manual_seed(7);
    const int64_t lq = 4, lk = 6, d = 16;
    auto q = torch::randn({lq, kBlockTokens, heads * d});
    auto k = torch::randn({lk, kBlockTokens, heads * d});
    auto v = torch::randn({lk, kBlockTokens, heads * d});
    auto mask = torch::rand({1, heads, lq, lk}) > 0.5;
    for (int h = 0; h < heads; ++h) {
        mask[0][h][h % lq].fill_(false);  // query block with no key block: output must be 0
        mask[0][h][(h + 1) % lq].fill_(true);
    }
    // WHEN the packed sequences are attended one by one and put back in place
    auto packed = packVarlenBlocks(q, k, v, mask, heads, headBegin, headEnd);
    auto out = varlenAttentionReference(packed)
                   .view({headEnd - headBegin, lq, kBlockTokens, d})  // (heads, Lq, 128, d)
                   .permute({1, 2, 0, 3});                            // (Lq, 128, heads, d)
    // THEN they equal the reference attention of those heads
    auto ref = blockSparseAttentionReference(q, k, v, mask, heads)
                   .view({lq, kBlockTokens, heads, d})
                   .slice(2, headBegin, headEnd);  // (Lq, 128, heads, d)
    const double err = (out - ref).norm().item<double>() / ref.norm().item<double>();
    qInfo("relative error %.3g", err);
    QVERIFY(err < 1e-5);
    QCOMPARE(out.select(2, 0).select(0, headBegin % lq).abs().max().item<float>(), 0.0f);
}

void TestSparseAttention::packedShapesFollowTheMask() {
    // GIVEN a mask selecting 1, 0 and 3 key blocks for three query blocks of one head
    const int64_t d = 8;
    auto q = torch::randn({3, kBlockTokens, d});
    auto k = torch::randn({4, kBlockTokens, d});
    auto mask = torch::zeros({1, 1, 3, 4}, torch::kBool);
    mask[0][0][0][2] = true;
    mask[0][0][2].slice(0, 0, 3).fill_(true);
    // WHEN packed
    auto p = packVarlenBlocks(q, k, k, mask, 1, 0, 1);
    // THEN offsets count 128 tokens per selected block and the longest sequence is 3 blocks
    auto cuK = p.cuK.to(torch::kInt64);
    QCOMPARE(cuK.size(0), 4);
    QCOMPARE(cuK[1].item<int64_t>(), kBlockTokens);
    QCOMPARE(cuK[2].item<int64_t>(), kBlockTokens);  // the empty sequence adds nothing
    QCOMPARE(cuK[3].item<int64_t>(), 4 * kBlockTokens);
    QCOMPARE(p.maxK, 3 * kBlockTokens);
    QCOMPARE(p.k.size(0), 4 * kBlockTokens);
    QCOMPARE(p.cuQ[3].item<int>(), 3 * static_cast<int>(kBlockTokens));
    QVERIFY(!p.nonEmpty[1].item<bool>() && p.nonEmpty[2].item<bool>());
    // AND the gathered keys are the selected blocks in key order
    QVERIFY(torch::equal(p.k.slice(0, kBlockTokens, 2 * kBlockTokens).select(1, 0), k[0]));
    QVERIFY(torch::equal(p.k.slice(0, 3 * kBlockTokens, 4 * kBlockTokens).select(1, 0), k[2]));
}

void TestSparseAttention::runLayoutEqualsReference_data() {
    QTest::addColumn<double>("density");
    QTest::newRow("sparse") << 0.3;
    QTest::newRow("half") << 0.5;
    QTest::newRow("dense") << 0.9;
}

void TestSparseAttention::runLayoutEqualsReference() {
    QFETCH(double, density);
    // GIVEN 5 query blocks, 7 key blocks, 3 heads of 16 and a random mask with an empty row
    torch::manual_seed(11);
    const int64_t heads = 3, lq = 5, lk = 7, d = 16;
    auto q = torch::randn({lq, kBlockTokens, heads * d});
    auto k = torch::randn({lk, kBlockTokens, heads * d});
    auto v = torch::randn({lk, kBlockTokens, heads * d});
    auto mask = torch::rand({1, heads, lq, lk}) < density;
    mask[0][1][2].fill_(false);
    // WHEN each run is attended alone and the runs are merged by their log-sum-exps
    auto packed = packRunBlocks(q, k, v, mask, heads, 0, heads);
    auto [out, lse] = runAttentionReference(packed);
    auto merged = combineRuns(packed, out, lse)
                      .view({heads, lq, kBlockTokens, d})  // (H, Lq, 128, d)
                      .permute({1, 2, 0, 3})
                      .reshape({lq, kBlockTokens, heads * d});  // (Lq, 128, D)
    // THEN the result equals the exact block-sparse attention, zeros for the empty query block
    auto ref = blockSparseAttentionReference(q, k, v, mask, heads);
    const double err = (merged - ref).norm().item<double>() / ref.norm().item<double>();
    qInfo("runs %lld, relative error %.3g", static_cast<long long>(packed.runs), err);
    QVERIFY(err < 1e-5);
    QCOMPARE(merged[2].slice(1, d, 2 * d).abs().max().item<float>(), 0.0f);
}

void TestSparseAttention::runsFollowConsecutiveBlocks() {
    // GIVEN one head, one query block selecting key blocks {0,1,2} and {5} of 6
    const int64_t d = 8;
    auto q = torch::randn({1, kBlockTokens, d});
    auto k = torch::randn({6, kBlockTokens, d});
    auto mask = torch::zeros({1, 1, 1, 6}, torch::kBool);
    mask[0][0][0].slice(0, 0, 3).fill_(true);
    mask[0][0][0][5] = true;
    // WHEN packed into runs
    auto p = packRunBlocks(q, k, k, mask, 1, 0, 1);
    // THEN there are two runs: 3 blocks from token 0 and 1 block from token 5*128
    QCOMPARE(p.runs, 2);
    QCOMPARE(p.startK[0].item<int>(), 0);
    QCOMPARE(p.usedK[0].item<int>(), 3 * static_cast<int>(kBlockTokens));
    QCOMPARE(p.startK[1].item<int>(), 5 * static_cast<int>(kBlockTokens));
    QCOMPARE(p.usedK[1].item<int>(), static_cast<int>(kBlockTokens));
    QCOMPARE(p.startK[2].item<int>(), 6 * static_cast<int>(kBlockTokens));
    QVERIFY(
        torch::equal(p.q.slice(0, kBlockTokens, 2 * kBlockTokens), p.q.slice(0, 0, kBlockTokens)));
}

QTEST_GUILESS_MAIN(TestSparseAttention)
#include "test_sparse_attention.moc"
