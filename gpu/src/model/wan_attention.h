#pragma once
// Attention modules of a Wan DiT block; submodule and parameter names equal the checkpoint keys
// (`self_attn.q.weight`, `cross_attn.norm_k.weight`, ...).

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "model/attention_path.h"
#include "model/dit_hooks.h"

namespace fvs::gpu {

// True where self-attention with `path` on `device` in `dtype` runs cuDNN SDPA over the stream's
// page pool (K/V read in place, nothing gathered): Auto or Paged, CUDA, bf16/fp16, cuDNN paged
// attention in the build (cudnnPagedSdpaAvailable).
bool pagedCudnnAttentionRuns(AttentionPath path, const torch::Device& device, torch::Dtype dtype);

// RMSNorm over the full channel dim, computed in fp32 and cast back before the weight (reference).
class RmsNormImpl : public torch::nn::Module {
public:
    RmsNormImpl(int64_t dim, double eps);
    torch::Tensor forward(const torch::Tensor& x);
    double eps() const { return m_eps; }

    torch::Tensor weight;

private:
    double m_eps;
};
TORCH_MODULE(RmsNorm);

class PagedKvPool;

// residual + linear(x) for x (..., in) and residual (..., out): the residual is the GEMM's C
// operand, so the add costs no extra pass (the folded blocks' output projections).
torch::Tensor linearPlusResidual(const torch::nn::Linear& linear, const torch::Tensor& x,
                                 const torch::Tensor& residual);

// Post-RoPE keys and values of the previous chunks of one block. Window-major tensors
// (groups*ws, 128, D) on the gather/runs/reference paths; on the paged path the groups live in the
// stream's PagedKvPool and `slots` lists the block's groups there, oldest first.
struct KvCache {
    torch::Tensor k;
    torch::Tensor v;
    std::vector<int64_t> slots;
    void reset() {
        k = torch::Tensor();
        v = torch::Tensor();
        slots.clear();
    }
};

// What a self-attention call needs besides its input.
struct SelfAttentionContext {
    torch::Tensor phases;    // ropePhases for this chunk's grid
    torch::Tensor phases32;  // the same as (L, 1, d/2, 2) fp32 cos/sin (fused CUDA kernel), or none
    torch::Tensor local;     // localBlockMask (ws, ws)
    int64_t f = 0, h = 0, w = 0;
    int64_t topk = 0;
    int64_t localRange = 11;
    int64_t kvGroups = 3;  // int(kv_ratio)
    int64_t blockIndex = 0;
    int64_t numBlocks = 1;
    PagedKvPool* kvPool = nullptr;  // set: the paged attention path may be used (CUDA, cuDNN)
    bool fusedKernels = true;       // gpu/kernels where built
    AttentionPath attention = AttentionPath::Auto;
    int64_t gatherBudgetBytes = 0;  // the Gather path's K/V budget; 0 = automatic
    const DitHooks* hooks = nullptr;
    AttentionStats* stats = nullptr;
};

class WanSelfAttentionImpl : public torch::nn::Module {
public:
    WanSelfAttentionImpl(int64_t dim, int64_t numHeads, double eps);
    // x (1, f*h*w, D) → (1, f*h*w, D); updates `cache` (spec §3.5). With `residual`, returns
    // residual + o(...) with the add inside the output GEMM.
    torch::Tensor forward(const torch::Tensor& x, const SelfAttentionContext& ctx, KvCache& cache,
                          const torch::Tensor* residual = nullptr);

    torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
    RmsNorm norm_q{nullptr}, norm_k{nullptr};

private:
    bool fusedQkNormRope(const torch::Tensor& x, const SelfAttentionContext& ctx, torch::Tensor& qw,
                         torch::Tensor& kw);

    int64_t m_numHeads;
};
TORCH_MODULE(WanSelfAttention);

class WanCrossAttentionImpl : public torch::nn::Module {
public:
    WanCrossAttentionImpl(int64_t dim, int64_t numHeads, double eps);
    // Precomputes K/V from the embedded prompt (1, S, D); done once per model.
    void initCache(const torch::Tensor& contextEmbedded);
    // x (1, L, D) → (1, L, D); with `residual`, residual + o(...) (the add inside the GEMM).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor* residual = nullptr,
                          bool fusedKernels = true);
    const torch::Tensor& cacheK() const { return m_cacheK; }
    const torch::Tensor& cacheV() const { return m_cacheV; }

    torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
    RmsNorm norm_q{nullptr}, norm_k{nullptr};

private:
    int64_t m_numHeads;
    torch::Tensor m_cacheK, m_cacheV;
};
TORCH_MODULE(WanCrossAttention);

}  // namespace fvs::gpu
