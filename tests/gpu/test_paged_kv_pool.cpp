// The K/V page pool behind the paged attention path (cuDNN SDPA with page tables on CUDA): over a
// chunk schedule like the engine's (a first chunk of three groups, then one group per chunk, the
// oldest group dropped beyond int(kv_ratio)), several blocks sharing one pool must give exactly the
// keys, values, block means and attention of the window-major cache (cat + slice) it replaces.
// Attention over the page tables is computed by pagedAttentionReference, the CPU stand-in for the
// cuDNN call (which runs on the GPU machine: `flashvsr debug attention`, docs/engine.md).

#include <QtTest>

#include "model/paged_kv_pool.h"
#include "model/sparse_attention.h"

using namespace fvs::gpu;

class TestPagedKvPool : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pageTablesListSelectedBlocksInKeyOrder();
    void poolEqualsWindowMajorCacheOverChunks_data();
    void poolEqualsWindowMajorCacheOverChunks();
    void slotsAreReusedAndTheSpareSuffices();
};

void TestPagedKvPool::pageTablesListSelectedBlocksInKeyOrder() {
    // GIVEN a pool of 3 slots (2 heads, 2 windows per group) and the logical order slots 2, 0
    PagedKvPool pool;
    pool.reserve(3, 2, 2, 8, torch::kFloat32, torch::kCPU);
    const std::vector<int64_t> slots{2, 0};
    // AND a mask over 4 logical key blocks; head 1, query block 1 selects nothing
    auto mask = torch::zeros({1, 2, 2, 4}, torch::kBool);
    mask[0][0][0][1] = true;
    mask[0][0][0][3] = true;
    mask[0][0][1][0] = true;
    mask[0][1][0][2] = true;
    mask[0][1][0][3] = true;
    // WHEN the page tables are built
    const PageTable pt = pool.pageTable(slots, mask);
    // THEN entry b = head*Lq + query block lists page (slot*H + head)*ws + window, in key order
    QCOMPARE(pt.table.sizes(), torch::IntArrayRef({4, 1, 4, 1}));
    auto table = pt.table.view({4, 4});
    auto page = [](int64_t slot, int64_t head, int64_t window) {
        return (slot * 2 + head) * 2 + window;
    };
    // logical block 1 = slot 2 window 1, block 3 = slot 0 window 1, block 0 = slot 2 window 0
    QCOMPARE(table[0][0].item<int64_t>(), page(2, 0, 1));
    QCOMPARE(table[0][1].item<int64_t>(), page(0, 0, 1));
    QCOMPARE(table[1][0].item<int64_t>(), page(2, 0, 0));
    QCOMPARE(table[2][0].item<int64_t>(), page(0, 1, 0));
    QCOMPARE(table[2][1].item<int64_t>(), page(0, 1, 1));
    auto lengths = pt.seqLenKv.view({4});
    QCOMPARE(lengths[0].item<int64_t>(), 2 * kBlockTokens);
    QCOMPARE(lengths[1].item<int64_t>(), 1 * kBlockTokens);
    QCOMPARE(lengths[2].item<int64_t>(), 2 * kBlockTokens);
    QCOMPARE(lengths[3].item<int64_t>(), 0);
    QVERIFY(!pt.nonEmpty[3].item<bool>());
    // AND unused entries are valid pages
    QVERIFY(table.min().item<int64_t>() >= 0);
    QVERIFY(table.max().item<int64_t>() < 3 * 2 * 2);
}

void TestPagedKvPool::poolEqualsWindowMajorCacheOverChunks_data() {
    QTest::addColumn<int>("kvGroups");
    QTest::newRow("kv_ratio 3 (default)") << 3;
    QTest::newRow("kv_ratio 1") << 1;
}

void TestPagedKvPool::poolEqualsWindowMajorCacheOverChunks() {
    QFETCH(int, kvGroups);
    torch::manual_seed(11);
    const int64_t heads = 2, d = 8, dim = heads * d, ws = 3, blocks = 2;
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    PagedKvPool pool;
    std::vector<std::vector<int64_t>> blockSlots(blocks);
    std::vector<torch::Tensor> cacheK(blocks), cacheV(blocks);
    const std::vector<int64_t> schedule{3, 1, 1, 1};  // groups per chunk
    for (size_t chunk = 0; chunk < schedule.size(); ++chunk) {
        const int64_t groups = schedule[chunk];
        for (int64_t b = 0; b < blocks; ++b) {
            // GIVEN this chunk's queries, keys and values of block b
            auto q = torch::randn({groups * ws, kBlockTokens, dim});
            auto k = torch::randn({groups * ws, kBlockTokens, dim});
            auto v = torch::randn({groups * ws, kBlockTokens, dim});
            // WHEN the window-major cache (the reference layout) and the pool both take them
            auto kAll = cacheK[b].defined() ? torch::cat({cacheK[b], k}) : k;
            auto vAll = cacheV[b].defined() ? torch::cat({cacheV[b], v}) : v;
            pool.reserve(blocks * kvGroups + std::max<int64_t>(1, groups - kvGroups), heads, ws, d,
                         torch::kFloat32, torch::kCPU);
            auto means = k.mean(1);
            auto slots = blockSlots[b];
            for (int64_t g = 0; g < groups; ++g) {
                const int64_t slot = pool.takeSlot();
                pool.write(slot, k.slice(0, g * ws, (g + 1) * ws), v.slice(0, g * ws, (g + 1) * ws),
                           means.slice(0, g * ws, (g + 1) * ws));
                slots.push_back(slot);
            }
            // THEN the pool holds the same keys, values and block means in the same order
            QVERIFY(torch::equal(pool.windows(slots, false), kAll));
            QVERIFY(torch::equal(pool.windows(slots, true), vAll));
            QVERIFY(torch::allclose(pool.means(slots), kAll.mean(1)));
            // AND attention over its page tables equals the reference block-sparse attention
            auto mask = torch::rand({1, heads, groups * ws, kAll.size(0)}) < 0.4;
            mask[0][0][0].fill_(false);  // one query block without keys
            auto expected = blockSparseAttentionReference(q, kAll, vAll, mask, heads);
            auto qh = q.view({-1, kBlockTokens, heads, d}).permute({2, 0, 1, 3}).contiguous();
            auto paged = pagedAttentionReference(qh.view({-1, 1, kBlockTokens, d}), pool.kPages(),
                                                 pool.vPages(), pool.pageTable(slots, mask), scale);
            auto got = paged.view({heads, -1, kBlockTokens, d})
                           .permute({1, 2, 0, 3})
                           .reshape({-1, kBlockTokens, dim});
            QVERIFY2(torch::allclose(got, expected, 1e-5, 1e-5),
                     qPrintable(QStringLiteral("chunk %1 block %2: max abs %3")
                                    .arg(chunk)
                                    .arg(b)
                                    .arg((got - expected).abs().max().item<double>())));
            // AND both drop only the oldest single group beyond int(kv_ratio)
            const int64_t total = kAll.size(0) / ws;
            if (total > kvGroups) {
                cacheK[b] = kAll.slice(0, ws);
                cacheV[b] = vAll.slice(0, ws);
                pool.releaseSlot(slots.front());
                slots.erase(slots.begin());
            } else {
                cacheK[b] = kAll;
                cacheV[b] = vAll;
            }
            blockSlots[b] = slots;
        }
    }
}

void TestPagedKvPool::slotsAreReusedAndTheSpareSuffices() {
    // GIVEN 30 blocks with kv_ratio 3: 91 slots (3 per block and one spare)
    PagedKvPool pool;
    pool.reserve(30 * 3 + 1, 1, 1, 8, torch::kFloat32, torch::kCPU);
    std::vector<std::vector<int64_t>> held(30);
    // WHEN a first chunk of 3 groups and 20 steady chunks of 1 group run through every block
    for (int chunk = 0; chunk < 21; ++chunk) {
        const int groups = chunk == 0 ? 3 : 1;
        for (auto& slots : held) {
            for (int g = 0; g < groups; ++g) {
                slots.push_back(pool.takeSlot());
            }
            if (slots.size() > 3) {
                pool.releaseSlot(slots.front());
                slots.erase(slots.begin());
            }
        }
    }
    // THEN the pool never grew, one slot is free and no slot is held twice
    QCOMPARE(pool.slots(), int64_t{91});
    QCOMPARE(pool.freeSlots(), int64_t{1});
    std::vector<int64_t> all;
    for (const auto& slots : held) {
        all.insert(all.end(), slots.begin(), slots.end());
    }
    std::sort(all.begin(), all.end());
    QVERIFY(std::adjacent_find(all.begin(), all.end()) == all.end());
    // AND releasing a slot twice is refused
    pool.releaseSlot(held[0].front());
    QVERIFY_THROWS_EXCEPTION(c10::Error, pool.releaseSlot(held[0].front()));
}

QTEST_GUILESS_MAIN(TestPagedKvPool)
#include "test_paged_kv_pool.moc"
