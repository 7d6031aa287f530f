#include "model/sparse_attention.h"

#ifdef FVS_HAVE_KERNELS
#include <ATen/cuda/CUDAContext.h>

#include "lcsa_threshold.h"
#endif

#include "cuda/cudnn_paged_sdpa.h"
#include "engine/stage_profiler.h"
#include "fvs/gpu/device_info.h"
#include "model/paged_kv_pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace fvs::gpu {

torch::Tensor windowPartition(const torch::Tensor& x, int64_t f, int64_t h, int64_t w) {
    TORCH_CHECK(x.dim() == 3 && x.size(0) == 1 && x.size(1) == f * h * w,
                "windowPartition: expected (1, ", f * h * w, ", D), got ", x.sizes());
    TORCH_CHECK(f % kWindowFrames == 0 && h % kWindowSide == 0 && w % kWindowSide == 0,
                "windowPartition: grid (", f, ",", h, ",", w, ") not divisible by (2,8,8)");
    const int64_t d = x.size(2);
    return x
        .view({f / 2, 2, h / 8, 8, w / 8, 8, d})  // (f/2, 2, h/8, 8, w/8, 8, D)
        .permute({0, 2, 4, 1, 3, 5, 6})           // (f/2, h/8, w/8, 2, 8, 8, D)
        .reshape({-1, kBlockTokens, d});          // (windows, 128, D)
}

torch::Tensor windowReverse(const torch::Tensor& windows, int64_t f, int64_t h, int64_t w) {
    TORCH_CHECK(windows.dim() == 3 && windows.size(1) == kBlockTokens &&
                    windows.size(0) * kBlockTokens == f * h * w,
                "windowReverse: expected (", f * h * w / kBlockTokens, ", 128, D), got ",
                windows.sizes());
    const int64_t d = windows.size(2);
    return windows
        .view({f / 2, h / 8, w / 8, 2, 8, 8, d})  // (f/2, h/8, w/8, 2, 8, 8, D)
        .permute({0, 3, 1, 4, 2, 5, 6})           // (f/2, 2, h/8, 8, w/8, 8, D)
        .reshape({1, f * h * w, d});              // (1, f*h*w, D)
}

torch::Tensor localBlockMask(int64_t blockRows, int64_t blockCols, int64_t localRange,
                             const torch::Device& device) {
    auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(device);
    auto r = torch::arange(blockRows, i64).repeat_interleave(blockCols);  // (ws) row of block i
    auto c = torch::arange(blockCols, i64).repeat({blockRows});           // (ws) column of block i
    const int64_t half = localRange / 2;
    auto startR = r - half;  // no clamping: windows shrink at the edges (reference "normal slide")
    auto startC = c - half;
    auto inRow = (r.unsqueeze(0) >= startR.unsqueeze(1)) &
                 (r.unsqueeze(0) <= (startR + localRange - 1).unsqueeze(1));  // (ws, ws)
    auto inCol = (c.unsqueeze(0) >= startC.unsqueeze(1)) &
                 (c.unsqueeze(0) <= (startC + localRange - 1).unsqueeze(1));  // (ws, ws)
    return inRow & inCol;
}

int64_t lcsaTopk(int64_t windowsPerGroup, double topkRatio) {
    const auto square = static_cast<double>(windowsPerGroup * windowsPerGroup);
    return static_cast<int64_t>(square * topkRatio) - 1;
}

double lcsaTopkRatio(double sparseRatio, int64_t outHeight, int64_t outWidth) {
    return sparseRatio * 768 * 1280 / static_cast<double>(outHeight * outWidth);
}

torch::Tensor lcsaBlockMask(const torch::Tensor& qWindows, const torch::Tensor& kWindows,
                            int64_t numHeads, int64_t queryGroups, int64_t topk,
                            const torch::Tensor& local) {
    TORCH_CHECK(qWindows.dim() == 3 && kWindows.dim() == 3 && qWindows.size(2) == kWindows.size(2),
                "lcsaBlockMask: q ", qWindows.sizes(), " k ", kWindows.sizes());
    const int64_t lq = qWindows.size(0);
    const int64_t lk = kWindows.size(0);
    const int64_t ws = local.size(0);
    TORCH_CHECK(lq == queryGroups * ws && lk % ws == 0, "lcsaBlockMask: ", lq, " query and ", lk,
                " key windows do not tile ", queryGroups, " groups of ", ws);
    const int64_t headDim = qWindows.size(2) / numHeads;
    // Block means in the activation dtype, like the reference.
    auto qm = qWindows.mean(1).view({lq, numHeads, headDim}).permute({1, 0, 2});  // (H, Lq, d)
    auto km = kWindows.mean(1).view({lk, numHeads, headDim}).permute({1, 0, 2});  // (H, Lk, d)
    auto scores = torch::matmul(qm, km.transpose(1, 2)) / std::sqrt(static_cast<double>(headDim));
    auto bias = torch::zeros({ws, ws}, scores.options().dtype(torch::kFloat32))
                    .masked_fill(local.logical_not(), -std::numeric_limits<float>::infinity())
                    .repeat({queryGroups, lk / ws});                     // (Lq, Lk)
    auto probs = torch::softmax(scores.to(torch::kFloat32) + bias, -1);  // (H, Lq, Lk) fp32
    auto flat = probs.reshape({numHeads * queryGroups, ws * lk});        // (H*groups, ws*Lk) slabs
    const int64_t kk = std::max<int64_t>(0, std::min(flat.size(1) - 1, topk));
    // The (kk+1)-th largest score of each slab, taken from a full sort rather than topk with k
    // in the thousands: the same value (speed of the two not measured separately).
    auto threshold = std::get<0>(torch::sort(flat, 1, true)).select(1, kk);
    auto mask = flat > threshold.unsqueeze(1);  // strict: ties are dropped
    return mask.view({1, numHeads, lq, lk});    // (1, H, Lq, Lk)
}

torch::Tensor lcsaThreshold(const torch::Tensor& rows, int64_t k, bool useKernel) {
    TORCH_CHECK(
        rows.dim() == 2 && rows.scalar_type() == torch::kFloat32 && 0 <= k && k < rows.size(1),
        "lcsaThreshold: rows ", rows.sizes(), " ", rows.scalar_type(), " k ", k);
#ifdef FVS_HAVE_KERNELS
    if (useKernel && rows.is_cuda()) {
        // Radix select per row (gpu/kernels/lcsa_threshold.cu): the same value, exactly.
        auto flat = rows.contiguous();
        auto threshold = torch::empty({flat.size(0)}, flat.options());
        const auto status = kernels::launchLcsaThreshold(
            flat.data_ptr<float>(), flat.size(0), flat.size(1), k, threshold.data_ptr<float>(),
            at::cuda::getCurrentCUDAStream());
        TORCH_CHECK(status == cudaSuccess, "LCSA threshold kernel: ", cudaGetErrorString(status));
        return threshold;
    }
#endif
    (void)useKernel;
    // The (k+1)-th largest = the (n-k)-th smallest.
    return std::get<0>(torch::kthvalue(rows, rows.size(1) - k, 1));
}

torch::Tensor lcsaLocalBias(const torch::Tensor& local, int64_t queryGroups, int64_t keyGroups) {
    const int64_t ws = local.size(0);
    return torch::zeros({ws, ws}, local.options().dtype(torch::kFloat32))
        .masked_fill(local.logical_not(), -std::numeric_limits<float>::infinity())
        .repeat({queryGroups, keyGroups});  // (Lq, Lk)
}

torch::Tensor lcsaBlockMaskFromMeans(const torch::Tensor& qMeans, const torch::Tensor& kMeans,
                                     int64_t numHeads, int64_t queryGroups, int64_t topk,
                                     const torch::Tensor& bias, bool useKernel) {
    const int64_t lq = qMeans.size(0);
    const int64_t lk = kMeans.size(0);
    TORCH_CHECK(qMeans.dim() == 2 && kMeans.dim() == 2 && qMeans.size(1) == kMeans.size(1) &&
                    bias.sizes() == torch::IntArrayRef({lq, lk}) && lq % queryGroups == 0,
                "lcsaBlockMaskFromMeans: q ", qMeans.sizes(), " k ", kMeans.sizes(), " bias ",
                bias.sizes(), " groups ", queryGroups);
    const int64_t ws = lq / queryGroups;
    const int64_t headDim = qMeans.size(1) / numHeads;
    auto qm = qMeans.view({lq, numHeads, headDim}).permute({1, 0, 2});  // (H, Lq, d)
    auto km = kMeans.view({lk, numHeads, headDim}).permute({1, 0, 2});  // (H, Lk, d)
    auto scores = torch::matmul(qm, km.transpose(1, 2)) / std::sqrt(static_cast<double>(headDim));
    auto probs = torch::softmax(scores.to(torch::kFloat32) + bias, -1);  // (H, Lq, Lk) fp32
    auto flat = probs.reshape({numHeads * queryGroups, ws * lk});        // (H*groups, ws*Lk)
    const int64_t n = flat.size(1);
    const int64_t kk = std::max<int64_t>(0, std::min(n - 1, topk));
    auto threshold = lcsaThreshold(flat, kk, useKernel);
    auto mask = flat > threshold.unsqueeze(1);  // strict: ties are dropped
    return mask.view({1, numHeads, lq, lk});    // (1, H, Lq, Lk)
}

// Bytes the gathered K/V of one attention call may take: an eighth of the device memory free at
// first use, within 1..8 GiB. Fewer, larger calls keep flash attention's grid (one CTA per query
// block and head) in full waves: at 768x1408 the whole block's 6.8 GB fits one call on a large
// GPU, while a small GPU splits the heads.
int64_t automaticGatherBudgetBytes() {
    static const int64_t budget = [] {
        const int64_t free = queryDevice().freeMemoryBytes;
        return std::clamp<int64_t>(free / 8, 1LL << 30, 8LL << 30);
    }();
    return budget;
}

torch::Tensor blockSparseAttention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& mask,
                                   int64_t numHeads, AttentionPath path,
                                   int64_t gatherBudgetBytes) {
    const int64_t headDim = q.size(2) / numHeads;
    const bool half = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
    if (path != AttentionPath::Reference && q.is_cuda() && half && headDim % 8 == 0 &&
        headDim <= 256) {
        if (path == AttentionPath::Runs) {
            return blockSparseAttentionRuns(q, k, v, mask, numHeads);
        }
        const int64_t budget =
            gatherBudgetBytes > 0 ? gatherBudgetBytes : automaticGatherBudgetBytes();
        return blockSparseAttentionVarlen(q, k, v, mask, numHeads, budget);
    }
    return blockSparseAttentionReference(q, k, v, mask, numHeads);
}

torch::Tensor pagedBlockSparseAttention(const torch::Tensor& q, const PagedKvPool& pool,
                                        const std::vector<int64_t>& slots,
                                        const torch::Tensor& mask, int64_t numHeads) {
    const int64_t lq = q.size(0);
    const int64_t d = q.size(2) / numHeads;
    TORCH_CHECK(q.dim() == 3 && q.size(1) == kBlockTokens && mask.size(2) == lq,
                "pagedBlockSparseAttention: q ", q.sizes(), " mask ", mask.sizes());
    auto qh = q.view({lq, kBlockTokens, numHeads, d})
                  .permute({2, 0, 1, 3})  // (H, Lq, 128, d)
                  .contiguous()
                  .view({numHeads * lq, 1, kBlockTokens, d});  // (B, 1, 128, d)
    const PageTable pages = pool.pageTable(slots, mask);
    StageProfiler::mark("self.attn_tables", q.device());
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const bool half = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
    auto o =
        half && q.is_cuda() && cudnnPagedSdpaAvailable(q.device())
            ? cudnnPagedSdpa(qh, pool.kPages(), pool.vPages(), pages.table, pages.seqLenKv, scale)
            : pagedAttentionReference(qh, pool.kPages(), pool.vPages(), pages, scale)
                  .to(q.scalar_type());  // (B, 1, 128, d)
    StageProfiler::mark("self.attn_sdpa", q.device());
    // Back to window-major in one pass; a query block without key blocks gives exact zeros.
    auto out = torch::empty({lq, kBlockTokens, numHeads, d}, q.options());
    auto headMajorOut = out.permute({2, 0, 1, 3});  // (H, Lq, 128, d) view of out
    at::mul_out(headMajorOut, o.view({numHeads, lq, kBlockTokens, d}),
                pages.nonEmpty.to(q.scalar_type()).view({numHeads, lq, 1, 1}));
    return out.view({lq, kBlockTokens, numHeads * d});  // (Lq, 128, D)
}

namespace {

struct PackShape {
    int64_t lq, lk, d, heads;
};

// Shapes shared by the varlen packers: q (Lq,128,D), k/v (Lk,128,D), mask (1,H,Lq,Lk).
PackShape checkPack(const char* what, const torch::Tensor& q, const torch::Tensor& k,
                    const torch::Tensor& v, const torch::Tensor& mask, int64_t numHeads,
                    int64_t headBegin, int64_t headEnd) {
    const int64_t lq = q.size(0);
    const int64_t lk = k.size(0);
    TORCH_CHECK(q.size(1) == kBlockTokens && k.sizes() == v.sizes() && k.size(2) == q.size(2) &&
                    0 <= headBegin && headBegin < headEnd && headEnd <= numHeads,
                what, ": q ", q.sizes(), " k ", k.sizes(), " heads [", headBegin, ", ", headEnd,
                ") of ", numHeads);
    TORCH_CHECK(
        mask.dim() == 4 && mask.size(1) == numHeads && mask.size(2) == lq && mask.size(3) == lk,
        what, ": mask ", mask.sizes(), " for ", lq, "x", lk, " blocks");
    return {lq, lk, q.size(2) / numHeads, headEnd - headBegin};
}

// (blocks, 128, H*d) → (heads, blocks, 128, d) for heads [headBegin, headEnd), contiguous.
torch::Tensor headMajor(const torch::Tensor& t, int64_t blocks, int64_t numHeads, int64_t headBegin,
                        int64_t headEnd) {
    const int64_t d = t.size(2) / numHeads;
    return t
        .view({blocks, kBlockTokens, numHeads, d})  // (blocks, 128, H, d)
        .slice(2, headBegin, headEnd)
        .permute({2, 0, 1, 3})  // (heads, blocks, 128, d)
        .contiguous();
}

}  // namespace

VarlenBlocks packVarlenBlocks(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& mask, int64_t numHeads,
                              int64_t headBegin, int64_t headEnd) {
    const PackShape shape =
        checkPack("packVarlenBlocks", q, k, v, mask, numHeads, headBegin, headEnd);
    const int64_t lq = shape.lq, lk = shape.lk, d = shape.d, heads = shape.heads;
    auto headsOf = [&](const torch::Tensor& t, int64_t blocks) {
        return headMajor(t, blocks, numHeads, headBegin, headEnd);
    };
    VarlenBlocks out;
    out.q = headsOf(q, lq).view({heads * lq * kBlockTokens, 1, d});  // (seq*128, 1, d)
    auto m = mask[0].slice(0, headBegin, headEnd);                   // (heads, Lq, Lk)
    auto counts = m.sum(-1, false, torch::kInt32).flatten();         // (seq) blocks per sequence
    auto i32 = counts.options();
    out.cuQ = torch::arange(0, heads * lq + 1, i32) * static_cast<int32_t>(kBlockTokens);
    out.cuK = torch::cat({torch::zeros({1}, i32),
                          (counts * static_cast<int32_t>(kBlockTokens)).cumsum(0, torch::kInt32)});
    out.nonEmpty = counts > 0;
    // Row-major nonzero: (head, query block, key block) triples in sequence order, keys ascending.
    auto sel = m.nonzero();                                        // (nnz, 3)
    auto flat = sel.select(1, 0) * lk + sel.select(1, 2);          // (nnz) head*Lk + key block
    auto kb = headsOf(k, lk).view({heads * lk, kBlockTokens, d});  // (heads*Lk, 128, d)
    auto vb = headsOf(v, lk).view({heads * lk, kBlockTokens, d});  // (heads*Lk, 128, d)
    out.k = kb.index_select(0, flat).view({-1, 1, d});             // (nnz*128, 1, d)
    out.v = vb.index_select(0, flat).view({-1, 1, d});             // (nnz*128, 1, d)
    out.maxK = counts.numel() > 0 ? counts.max().item<int64_t>() * kBlockTokens : 0;
    return out;
}

RunBlocks packRunBlocks(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask, int64_t numHeads, int64_t headBegin,
                        int64_t headEnd) {
    const PackShape shape = checkPack("packRunBlocks", q, k, v, mask, numHeads, headBegin, headEnd);
    const int64_t lq = shape.lq, lk = shape.lk, d = shape.d, heads = shape.heads;
    auto headsOf = [&](const torch::Tensor& t, int64_t blocks) {
        return headMajor(t, blocks, numHeads, headBegin, headEnd);
    };
    auto m = mask[0].slice(0, headBegin, headEnd);  // (heads, Lq, Lk)
    auto none = torch::zeros({heads, lq, 1}, m.options());
    auto before = torch::cat({none, m.slice(2, 0, lk - 1)}, 2);  // (heads, Lq, Lk) m[j-1]
    auto after = torch::cat({m.slice(2, 1, lk), none}, 2);       // (heads, Lq, Lk) m[j+1]
    // Row-major nonzero: the r-th run start and the r-th run end belong to the same run.
    auto starts = (m & before.logical_not()).nonzero();  // (runs, 3) head, query block, first key
    auto ends = (m & after.logical_not()).nonzero();     // (runs, 3) head, query block, last key
    RunBlocks out;
    out.sequences = heads * lq;
    out.runs = starts.size(0);
    out.owner = starts.select(1, 0) * lq + starts.select(1, 1);  // (runs)
    auto i32 = torch::TensorOptions().dtype(torch::kInt32).device(q.device());
    auto firstToken = (starts.select(1, 0) * lk + starts.select(1, 2)) * kBlockTokens;  // (runs)
    out.startK =
        torch::cat({firstToken, torch::full({1}, heads * lk * kBlockTokens, firstToken.options())})
            .to(torch::kInt32);
    out.usedK = ((ends.select(1, 2) - starts.select(1, 2) + 1) * kBlockTokens).to(torch::kInt32);
    out.cuQ = torch::arange(0, out.runs + 1, i32) * static_cast<int32_t>(kBlockTokens);
    auto qb = headsOf(q, lq).view({heads * lq, kBlockTokens, d});  // (heads*Lq, 128, d)
    out.q = qb.index_select(0, out.owner).view({-1, 1, d});        // (runs*128, 1, d)
    out.k = headsOf(k, lk).view({-1, 1, d});                       // (heads*Lk*128, 1, d)
    out.v = headsOf(v, lk).view({-1, 1, d});                       // (heads*Lk*128, 1, d)
    return out;
}

torch::Tensor combineRuns(const RunBlocks& packed, const torch::Tensor& out,
                          const torch::Tensor& lse) {
    const int64_t d = out.size(2);
    auto o = out.view({packed.runs, kBlockTokens, d}).to(torch::kFloat32);  // (runs, 128, d)
    auto l = lse.view({packed.runs, kBlockTokens}).to(torch::kFloat32);     // (runs, 128)
    auto f32 = l.options();
    // Softmax over runs of the same query block: weights exp(lse - max) / sum.
    auto peak =
        torch::full({packed.sequences, kBlockTokens}, -std::numeric_limits<float>::infinity(), f32)
            .index_reduce_(0, packed.owner, l, "amax");           // (sequences, 128)
    auto w = torch::exp(l - peak.index_select(0, packed.owner));  // (runs, 128)
    auto denom = torch::zeros({packed.sequences, kBlockTokens}, f32).index_add_(0, packed.owner, w);
    auto num = torch::zeros({packed.sequences, kBlockTokens, d}, f32)
                   .index_add_(0, packed.owner, o * w.unsqueeze(2));  // (sequences, 128, d)
    // Query blocks without runs: denominator 0 → output 0.
    return num / denom.clamp_min(std::numeric_limits<float>::min()).unsqueeze(2);
}

std::pair<torch::Tensor, torch::Tensor> runAttentionReference(const RunBlocks& packed) {
    const int64_t d = packed.q.size(2);
    auto start = packed.startK.to(torch::kCPU, torch::kInt64);
    auto used = packed.usedK.to(torch::kCPU, torch::kInt64);
    auto out =
        torch::zeros({packed.runs * kBlockTokens, 1, d}, packed.q.options().dtype(torch::kFloat32));
    auto lse = torch::zeros({packed.runs, kBlockTokens}, out.options());
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    for (int64_t r = 0; r < packed.runs; ++r) {
        const int64_t k0 = start[r].item<int64_t>(), n = used[r].item<int64_t>();
        auto qs = packed.q.slice(0, r * kBlockTokens, (r + 1) * kBlockTokens).select(1, 0);
        auto ks = packed.k.slice(0, k0, k0 + n).select(1, 0);  // (n, d)
        auto vs = packed.v.slice(0, k0, k0 + n).select(1, 0);
        auto scores = torch::matmul(qs.to(torch::kFloat32), ks.to(torch::kFloat32).t()) * scale;
        lse[r].copy_(torch::logsumexp(scores, -1));
        out.slice(0, r * kBlockTokens, (r + 1) * kBlockTokens)
            .select(1, 0)
            .copy_(torch::matmul(torch::softmax(scores, -1), vs.to(torch::kFloat32)));
    }
    return {out, lse};
}

torch::Tensor blockSparseAttentionRuns(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, const torch::Tensor& mask,
                                       int64_t numHeads) {
    const int64_t lq = q.size(0);
    const int64_t lk = k.size(0);
    const int64_t d = q.size(2) / numHeads;
    auto packed = packRunBlocks(q, k, v, mask, numHeads, 0, numHeads);
    if (packed.runs == 0) {
        return torch::zeros_like(q);
    }
    // seqused_k gives each run its own length from its own start: runs may overlap in k.
    auto result = at::_flash_attention_forward(
        packed.q, packed.k, packed.v, packed.cuQ, packed.startK, kBlockTokens, lk * kBlockTokens,
        0.0, false, false, 1.0 / std::sqrt(static_cast<double>(d)), std::nullopt, std::nullopt,
        packed.usedK);
    auto lse =
        std::get<1>(result).view({packed.runs, kBlockTokens});    // (1, runs*128) → (runs, 128)
    auto merged = combineRuns(packed, std::get<0>(result), lse);  // (H*Lq, 128, d) fp32
    return merged.view({numHeads, lq, kBlockTokens, d})
        .permute({1, 2, 0, 3})
        .reshape({lq, kBlockTokens, numHeads * d})
        .to(q.scalar_type());  // (Lq, 128, D)
}

torch::Tensor varlenAttentionReference(const VarlenBlocks& packed) {
    const int64_t sequences = packed.cuQ.size(0) - 1;
    const int64_t d = packed.q.size(2);
    auto cuK = packed.cuK.to(torch::kCPU, torch::kInt64);
    auto out = torch::zeros_like(packed.q);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    for (int64_t s = 0; s < sequences; ++s) {
        const int64_t k0 = cuK[s].item<int64_t>(), k1 = cuK[s + 1].item<int64_t>();
        if (k1 == k0) {
            continue;  // no key block: zeros
        }
        auto qs = packed.q.slice(0, s * kBlockTokens, (s + 1) * kBlockTokens).select(1, 0);
        auto ks = packed.k.slice(0, k0, k1).select(1, 0);  // (n*128, d)
        auto vs = packed.v.slice(0, k0, k1).select(1, 0);
        auto p = torch::softmax(
            torch::matmul(qs.to(torch::kFloat32), ks.to(torch::kFloat32).t()) * scale,
            -1);  // (128, n*128)
        out.slice(0, s * kBlockTokens, (s + 1) * kBlockTokens)
            .select(1, 0)
            .copy_(torch::matmul(p, vs.to(torch::kFloat32)));
    }
    return out;
}

torch::Tensor blockSparseAttentionVarlen(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& mask,
                                         int64_t numHeads, int64_t gatherBudgetBytes) {
    const int64_t lq = q.size(0);
    const int64_t d = q.size(2) / numHeads;
    // Selected blocks per head decide how many heads one gather may hold (one small sync).
    auto perHead = mask[0].sum({1, 2}).to(torch::kCPU, torch::kInt64);      // (H)
    const int64_t bytesPerBlock = 2 * kBlockTokens * d * q.element_size();  // K and V
    auto out = torch::empty({numHeads, lq, kBlockTokens, d}, q.options());
    for (int64_t h0 = 0; h0 < numHeads;) {
        int64_t h1 = h0 + 1;
        int64_t bytes = perHead[h0].item<int64_t>() * bytesPerBlock;
        while (h1 < numHeads &&
               bytes + perHead[h1].item<int64_t>() * bytesPerBlock <= gatherBudgetBytes) {
            bytes += perHead[h1].item<int64_t>() * bytesPerBlock;
            ++h1;
        }
        auto packed = packVarlenBlocks(q, k, v, mask, numHeads, h0, h1);
        auto part = out.slice(0, h0, h1);  // (heads, Lq, 128, d)
        if (packed.maxK == 0) {
            part.zero_();
        } else {
            auto result = at::_flash_attention_forward(
                packed.q, packed.k, packed.v, packed.cuQ, packed.cuK, kBlockTokens, packed.maxK,
                0.0, false, false, 1.0 / std::sqrt(static_cast<double>(d)));
            // A query block without key blocks must give zeros whatever the kernel wrote.
            part.copy_((std::get<0>(result).view({h1 - h0, lq, kBlockTokens, d}) *
                        packed.nonEmpty.view({h1 - h0, lq, 1, 1}))
                           .to(q.scalar_type()));  // (heads, Lq, 128, d)
        }
        h0 = h1;
    }
    return out.permute({1, 2, 0, 3}).reshape({lq, kBlockTokens, numHeads * d});  // (Lq, 128, D)
}

torch::Tensor blockSparseAttentionReference(const torch::Tensor& q, const torch::Tensor& k,
                                            const torch::Tensor& v, const torch::Tensor& mask,
                                            int64_t numHeads, int64_t scoreBudgetBytes) {
    const int64_t lq = q.size(0);
    const int64_t lk = k.size(0);
    const int64_t d = q.size(2);
    const int64_t headDim = d / numHeads;
    TORCH_CHECK(q.size(1) == kBlockTokens && k.sizes() == v.sizes() && k.size(2) == d,
                "blockSparseAttention: q ", q.sizes(), " k ", k.sizes(), " v ", v.sizes());
    TORCH_CHECK(
        mask.dim() == 4 && mask.size(1) == numHeads && mask.size(2) == lq && mask.size(3) == lk,
        "blockSparseAttention: mask ", mask.sizes(), " for ", lq, "x", lk, " blocks");
    const double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    auto qh = q.view({lq, kBlockTokens, numHeads, headDim});  // (Lq, 128, H, d)
    auto kh = k.view({lk, kBlockTokens, numHeads, headDim});  // (Lk, 128, H, d)
    auto vh = v.view({lk, kBlockTokens, numHeads, headDim});  // (Lk, 128, H, d)
    auto out = torch::zeros({lq, kBlockTokens, numHeads, headDim}, q.options());
    const auto blockMask = mask[0];  // (H, Lq, Lk)
    const int64_t rowBytes = kBlockTokens * kBlockTokens * lk * 4;
    const int64_t group =
        std::clamp<int64_t>(scoreBudgetBytes / std::max<int64_t>(1, rowBytes), 1, lq);
    for (int64_t head = 0; head < numHeads; ++head) {
        for (int64_t q0 = 0; q0 < lq; q0 += group) {
            const int64_t g = std::min(group, lq - q0);
            auto rows = blockMask[head].slice(0, q0, q0 + g);  // (g, Lk)
            // Only key blocks selected by some query block of this group take part.
            auto keyIdx = rows.any(0).nonzero().flatten();  // (nSel)
            const int64_t nSel = keyIdx.size(0);
            if (nSel == 0) {
                continue;  // every query block empty: output stays zero
            }
            auto qs = qh.slice(0, q0, q0 + g).select(2, head).reshape({g * kBlockTokens, headDim});
            auto ks =
                kh.index_select(0, keyIdx).select(2, head).reshape({nSel * kBlockTokens, headDim});
            auto vs =
                vh.index_select(0, keyIdx).select(2, head).reshape({nSel * kBlockTokens, headDim});
            auto scores = torch::matmul(qs.to(torch::kFloat32), ks.to(torch::kFloat32).t()) * scale;
            auto sel = rows.index_select(1, keyIdx);  // (g, nSel)
            scores = scores
                         .view({g, kBlockTokens, nSel, kBlockTokens})  // (g, 128, nSel, 128)
                         .masked_fill(sel.logical_not().view({g, 1, nSel, 1}),
                                      -std::numeric_limits<float>::infinity())
                         .view({g * kBlockTokens, nSel * kBlockTokens});
            auto probs = torch::softmax(scores, -1);
            auto o = torch::matmul(probs.to(vs.scalar_type()), vs);  // (g*128, d)
            // Query blocks with no key block give NaN rows: they must output zero.
            o = o.view({g, kBlockTokens, headDim})  // (g, 128, d)
                    .masked_fill(sel.any(1).logical_not().view({g, 1, 1}), 0.0);
            out.slice(0, q0, q0 + g).select(2, head).copy_(o);
        }
    }
    return out.view({lq, kBlockTokens, d});  // (Lq, 128, D)
}

}  // namespace fvs::gpu
