// The varlen layout behind the CUDA block-sparse attention (packVarlenBlocks): computed sequence by
// sequence it must equal the reference block-sparse attention, including query blocks that select
// nothing and masks whose rows select different numbers of key blocks. On the GPU the same layout
// goes to flash attention's varlen kernel (parity measured there, docs/parity.md).

#include <QtTest>

#include "sparse_attention.h"

using namespace fvs::gpu;

class TestSparseAttention : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void varlenLayoutEqualsReference_data();
    void varlenLayoutEqualsReference();
    void packedShapesFollowTheMask();
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

QTEST_GUILESS_MAIN(TestSparseAttention)
#include "test_sparse_attention.moc"
