#pragma once
// Attention modules of a Wan DiT block; submodule and parameter names equal the checkpoint keys
// (`self_attn.q.weight`, `cross_attn.norm_k.weight`, ...).

#include <cstdint>

#include <torch/torch.h>

#include "model/attention_path.h"
#include "model/dit_hooks.h"

namespace fvs::gpu {

// RMSNorm over the full channel dim, computed in fp32 and cast back before the weight (reference).
class RmsNormImpl : public torch::nn::Module {
public:
    RmsNormImpl(int64_t dim, double eps);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor weight;

private:
    double m_eps;
};
TORCH_MODULE(RmsNorm);

// Post-RoPE, window-partitioned keys and values of the previous chunks: (groups*ws, 128, D) each.
struct KvCache {
    torch::Tensor k;
    torch::Tensor v;
    void reset() {
        k = torch::Tensor();
        v = torch::Tensor();
    }
};

// What a self-attention call needs besides its input.
struct SelfAttentionContext {
    torch::Tensor phases;  // ropePhases for this chunk's grid
    torch::Tensor local;   // localBlockMask (ws, ws)
    int64_t f = 0, h = 0, w = 0;
    int64_t topk = 0;
    int64_t kvGroups = 3;  // int(kv_ratio)
    int64_t blockIndex = 0;
    AttentionPath attention = AttentionPath::Auto;
    int64_t gatherBudgetBytes = 0;  // the Gather path's K/V budget; 0 = automatic
    const DitHooks* hooks = nullptr;
    AttentionStats* stats = nullptr;
};

class WanSelfAttentionImpl : public torch::nn::Module {
public:
    WanSelfAttentionImpl(int64_t dim, int64_t numHeads, double eps);
    // x (1, f*h*w, D) → (1, f*h*w, D); updates `cache` (spec §3.5).
    torch::Tensor forward(const torch::Tensor& x, const SelfAttentionContext& ctx, KvCache& cache);

    torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
    RmsNorm norm_q{nullptr}, norm_k{nullptr};

private:
    int64_t m_numHeads;
};
TORCH_MODULE(WanSelfAttention);

class WanCrossAttentionImpl : public torch::nn::Module {
public:
    WanCrossAttentionImpl(int64_t dim, int64_t numHeads, double eps);
    // Precomputes K/V from the embedded prompt (1, S, D); done once per model.
    void initCache(const torch::Tensor& contextEmbedded);
    torch::Tensor forward(const torch::Tensor& x);
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
