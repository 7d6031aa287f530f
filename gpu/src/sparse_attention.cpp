#include "sparse_attention.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

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
    auto threshold = std::get<0>(torch::topk(flat, kk + 1, 1, true, true)).select(1, kk);
    auto mask = flat > threshold.unsqueeze(1);  // strict: ties are dropped
    return mask.view({1, numHeads, lq, lk});    // (1, H, Lq, Lk)
}

torch::Tensor blockSparseAttention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& mask,
                                   int64_t numHeads) {
    static const bool forceReference = [] {
        const char* env = std::getenv("FVS_ATTENTION");
        return env != nullptr && std::strcmp(env, "reference") == 0;
    }();
    const int64_t headDim = q.size(2) / numHeads;
    const bool half = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
    if (!forceReference && q.is_cuda() && half && headDim % 8 == 0 && headDim <= 256) {
        return blockSparseAttentionVarlen(q, k, v, mask, numHeads);
    }
    return blockSparseAttentionReference(q, k, v, mask, numHeads);
}

VarlenBlocks packVarlenBlocks(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& mask, int64_t numHeads,
                              int64_t headBegin, int64_t headEnd) {
    const int64_t lq = q.size(0);
    const int64_t lk = k.size(0);
    const int64_t d = q.size(2) / numHeads;
    const int64_t heads = headEnd - headBegin;
    TORCH_CHECK(q.size(1) == kBlockTokens && k.sizes() == v.sizes() && k.size(2) == q.size(2) &&
                    0 <= headBegin && headBegin < headEnd && headEnd <= numHeads,
                "packVarlenBlocks: q ", q.sizes(), " k ", k.sizes(), " heads [", headBegin, ", ",
                headEnd, ") of ", numHeads);
    TORCH_CHECK(
        mask.dim() == 4 && mask.size(1) == numHeads && mask.size(2) == lq && mask.size(3) == lk,
        "packVarlenBlocks: mask ", mask.sizes(), " for ", lq, "x", lk, " blocks");
    auto headsOf = [&](const torch::Tensor& t, int64_t blocks) {
        return t
            .view({blocks, kBlockTokens, numHeads, d})  // (blocks, 128, H, d)
            .slice(2, headBegin, headEnd)
            .permute({2, 0, 1, 3})  // (heads, blocks, 128, d)
            .contiguous();
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
    const int64_t lk = k.size(0);
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
