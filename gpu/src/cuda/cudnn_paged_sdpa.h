#pragma once
// Exact attention of many 128-query blocks, each over its own list of 128-token key pages, in one
// cuDNN call: SDPA with page tables (cudnn-frontend graph API). This is how LCSA's block-sparse
// attention reads the K/V cache in place (docs/engine.md, "Attention paths"). No cuDNN type leaks
// out of this header; the frontend stays in one translation unit (it is slow to compile).

#include <torch/torch.h>

namespace fvs::gpu {

// True when this build has the cuDNN path (CUDA build with cudnn-frontend) and `device` can run it
// (CUDA, compute capability 8.0 or newer).
bool cudnnPagedSdpaAvailable(const torch::Device& device);

// q (B, 1, 128, d) contiguous; kPages / vPages (pages, 1, 128, d) contiguous, q's dtype (bf16 or
// fp16); table (B, 1, T, 1) int32 page indices, the first seqLenKv[b] / 128 of row b used, in key
// order; seqLenKv (B, 1, 1, 1) int32 key tokens of each entry (a multiple of 128, ≤ T·128; 0 for an
// entry without keys, whose output the caller must zero). Softmax scale `scale`, fp32 inside.
// Returns o (B, 1, 128, d) in q's dtype. Runs on the current CUDA stream, no host synchronisation.
torch::Tensor cudnnPagedSdpa(const torch::Tensor& q, const torch::Tensor& kPages,
                             const torch::Tensor& vPages, const torch::Tensor& table,
                             const torch::Tensor& seqLenKv, double scale);

}  // namespace fvs::gpu
