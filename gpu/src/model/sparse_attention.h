#pragma once
// Locality-constrained sparse attention (LCSA, spec §3.2–3.4): 2×8×8 windows become 128-token
// blocks, a draft block mask is chosen from block-mean scores (local window + per-slab top-k with a
// strict threshold), and exact softmax attention runs over the selected key blocks only. A query
// block that selects nothing outputs zeros, like the Block-Sparse-Attention kernel.

#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "model/attention_path.h"

namespace fvs::gpu {

class PagedKvPool;

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

// The same mask from precomputed block means: qMeans (Lq_win, D), kMeans (Lk_win, D) (the K/V pool
// keeps each cached group's means). The threshold comes from kthvalue (the same value as the full
// sort, less work) and the local-window bias (Lq_win, Lk_win) fp32 is given, built once per shape
// by lcsaLocalBias.
torch::Tensor lcsaBlockMaskFromMeans(const torch::Tensor& qMeans, const torch::Tensor& kMeans,
                                     int64_t numHeads, int64_t queryGroups, int64_t topk,
                                     const torch::Tensor& bias, bool useKernel = true);
// Each row's (k+1)-th largest value (ties counted), rows (R, n) fp32 ≥ 0: the CUDA radix-select
// kernel where built and `useKernel`, else kthvalue. Both give the same values.
torch::Tensor lcsaThreshold(const torch::Tensor& rows, int64_t k, bool useKernel = true);
// 0 inside the local window, -inf outside, tiled over `queryGroups` × `keyGroups` groups.
torch::Tensor lcsaLocalBias(const torch::Tensor& local, int64_t queryGroups, int64_t keyGroups);

// Exact block-sparse attention: q (Lq_win,128,D), k/v (Lk_win,128,D), mask (1,heads,Lq_win,Lk_win).
// Scale 1/sqrt(head_dim). Returns (Lq_win, 128, D) in q's dtype. `path` Auto/Gather/Runs run the
// fused flash-attention kernel over the selected key blocks on CUDA in bf16/fp16 (Auto = Gather);
// elsewhere, and with Reference, the fp32 gather + masked softmax (blockSparseAttentionReference).
// `gatherBudgetBytes` bounds the Gather path's gathered K/V; 0 = automaticGatherBudgetBytes().
torch::Tensor blockSparseAttention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& mask,
                                   int64_t numHeads, AttentionPath path = AttentionPath::Auto,
                                   int64_t gatherBudgetBytes = 0);

// Block-sparse attention reading K/V in place from the stream's page pool (cuDNN SDPA with page
// tables, one batch entry per (head, query block)): q (Lq_win, 128, D), mask (1, H, Lq, Lk) over
// the logical key order `slots` (oldest cached group first). Returns (Lq_win, 128, D); query
// blocks without keys give exact zeros. cuDNN on CUDA bf16/fp16 (cudnnPagedSdpaAvailable()), else
// pagedAttentionReference (fp32 math, any device: the CPU tests of the paged path).
torch::Tensor pagedBlockSparseAttention(const torch::Tensor& q, const PagedKvPool& pool,
                                        const std::vector<int64_t>& slots,
                                        const torch::Tensor& mask, int64_t numHeads);

// The automatic gather budget of the CUDA Gather path: an eighth of the device memory free at the
// first call, within 1..8 GiB; fixed for the process after that call.
int64_t automaticGatherBudgetBytes();

// fp32 scores and softmax, memory bounded by `scoreBudgetBytes` per step. Any device and dtype.
torch::Tensor blockSparseAttentionReference(const torch::Tensor& q, const torch::Tensor& k,
                                            const torch::Tensor& v, const torch::Tensor& mask,
                                            int64_t numHeads,
                                            int64_t scoreBudgetBytes = 256LL << 20);

// The selected blocks of heads [headBegin, headEnd) as variable-length sequences, one per
// (head, query block): 128 queries each, and the 128-token key blocks that query block selected,
// in key order. This is the layout of flash attention's varlen interface (one head per sequence).
struct VarlenBlocks {
    torch::Tensor q;         // (sequences*128, 1, d)
    torch::Tensor k, v;      // (selected*128, 1, d)
    torch::Tensor cuQ, cuK;  // (sequences+1) int32 token offsets
    torch::Tensor nonEmpty;  // (sequences) bool: selected at least one key block
    int64_t maxK = 0;        // longest key sequence in tokens
};
VarlenBlocks packVarlenBlocks(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& mask, int64_t numHeads,
                              int64_t headBegin, int64_t headEnd);

// Flash-attention (varlen) over packVarlenBlocks, heads batched so the gathered K/V stay within
// `gatherBudgetBytes`. CUDA, bf16/fp16, head_dim a multiple of 8 up to 256.
torch::Tensor blockSparseAttentionVarlen(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& mask,
                                         int64_t numHeads, int64_t gatherBudgetBytes = 2LL << 30);

// The selected blocks of heads [headBegin, headEnd) as runs of consecutive key blocks: one
// sequence per (head, query block, run). Keys are NOT gathered: each run points into the per-head
// key buffer (start offset + length, flash attention's cu_seqlens_k + seqused_k), so the memory
// traffic is the query block copied once per run instead of every selected key block once per
// query block. The runs of one query block are merged with their log-sum-exps (combineRuns).
struct RunBlocks {
    torch::Tensor q;        // (runs*128, 1, d) the query block of each run
    torch::Tensor k, v;     // (heads*Lk*128, 1, d) per-head keys and values, in key order
    torch::Tensor cuQ;      // (runs+1) int32 query token offsets
    torch::Tensor startK;   // (runs+1) int32 key token offset of each run (last entry: k's length)
    torch::Tensor usedK;    // (runs) int32 key tokens of each run
    torch::Tensor owner;    // (runs) int64 (head - headBegin) * Lq + query block
    int64_t sequences = 0;  // heads * Lq
    int64_t runs = 0;
};
RunBlocks packRunBlocks(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask, int64_t numHeads, int64_t headBegin,
                        int64_t headEnd);
// out (runs*128, 1, d), lse (runs, 128) fp32 → (sequences, 128, d) fp32; a query block without
// runs gives zeros.
torch::Tensor combineRuns(const RunBlocks& packed, const torch::Tensor& out,
                          const torch::Tensor& lse);
// Exact attention of each run (any device): (out (runs*128, 1, d) fp32, lse (runs, 128) fp32).
std::pair<torch::Tensor, torch::Tensor> runAttentionReference(const RunBlocks& packed);
// Flash attention over packRunBlocks (CUDA, bf16/fp16).
torch::Tensor blockSparseAttentionRuns(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, const torch::Tensor& mask,
                                       int64_t numHeads);

// Attention of one packed set, sequence by sequence with exact softmax (any device): the
// reference for the varlen layout in tests. Returns (sequences*128, 1, d); empty sequences give 0.
torch::Tensor varlenAttentionReference(const VarlenBlocks& packed);

}  // namespace fvs::gpu
