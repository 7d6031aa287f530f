#pragma once
// Locality-constrained sparse attention (LCSA, spec §3.2–3.4): 2×8×8 windows become 128-token
// blocks, a draft block mask is chosen from block-mean scores (local window + per-slab top-k with a
// strict threshold), and exact softmax attention runs over the selected key blocks only. A query
// block that selects nothing outputs zeros, like the Block-Sparse-Attention kernel.

#include <cstdint>

#include <torch/torch.h>

namespace fvs::gpu {

inline constexpr int64_t kWindowFrames = 2;
inline constexpr int64_t kWindowSide = 8;
inline constexpr int64_t kBlockTokens = kWindowFrames * kWindowSide * kWindowSide;  // 128

// (1, f*h*w, D) in raster order → (f/2 * h/8 * w/8, 128, D) window-major.
torch::Tensor windowPartition(const torch::Tensor& x, int64_t f, int64_t h, int64_t w);
// Inverse of windowPartition: (windows, 128, D) → (1, f*h*w, D).
torch::Tensor windowReverse(const torch::Tensor& windows, int64_t f, int64_t h, int64_t w);

// Local window over the (blockRows × blockCols) block grid: (ws, ws) bool, no clamping at edges.
torch::Tensor localBlockMask(int64_t blockRows, int64_t blockCols, int64_t localRange,
                             const torch::Device& device);

// topk of the reference: int(ws*ws*topkRatio) - 1 with double arithmetic.
int64_t lcsaTopk(int64_t windowsPerGroup, double topkRatio);
// topk_ratio = sparse_ratio*768*1280/(H*W), evaluated left to right like the reference.
double lcsaTopkRatio(double sparseRatio, int64_t outHeight, int64_t outWidth);

// Draft block mask: qWindows (Lq_win, 128, D), kWindows (Lk_win, 128, D) (cache included),
// `queryGroups` temporal groups of queries, `local` from localBlockMask.
// Returns (1, heads, Lq_win, Lk_win) bool.
torch::Tensor lcsaBlockMask(const torch::Tensor& qWindows, const torch::Tensor& kWindows,
                            int64_t numHeads, int64_t queryGroups, int64_t topk,
                            const torch::Tensor& local);

// Exact block-sparse attention: q (Lq_win,128,D), k/v (Lk_win,128,D), mask (1,heads,Lq_win,Lk_win).
// Scores and softmax in fp32, scale 1/sqrt(head_dim); memory bounded by `scoreBudgetBytes` per
// step. Returns (Lq_win, 128, D) in q's dtype.
torch::Tensor blockSparseAttention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& mask,
                                   int64_t numHeads, int64_t scoreBudgetBytes = 256LL << 20);

}  // namespace fvs::gpu
