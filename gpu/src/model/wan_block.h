#pragma once
// One modulated Wan DiT block with FlashVSR's streaming self-attention (spec §3.6).
// Parameter names equal the checkpoint keys under `blocks.N.`.

#include <cstdint>

#include <torch/torch.h>

#include "model/wan_attention.h"

namespace fvs::gpu {

class WanBlockImpl : public torch::nn::Module {
public:
    WanBlockImpl(int64_t dim, int64_t ffnDim, int64_t numHeads, double eps);

    // x (1, L, D), tMod (1, 6, D) → (1, L, D); updates the block's KV cache.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& tMod,
                          const SelfAttentionContext& ctx, KvCache& cache);

    // The timestep is always 1000, so the six modulation vectors are constants: fold them into
    // the weights once (spec §2.3; performance.md §5) — q/k/v and ffn.0 take (1 + scale) and
    // shift, o and ffn.2 the gates; then forward() runs plain LayerNorms, the FFN's bias + GELU in
    // the GEMM's epilogue and the residual adds inside the GEMMs. Folded in fp32 from the
    // reference's bf16 constants, rounded once. The weights change: used on CUDA (bf16/fp16).
    void foldModulation(const torch::Tensor& tMod);
    bool folded() const { return m_folded; }

    WanSelfAttention self_attn{nullptr};
    WanCrossAttention cross_attn{nullptr};
    torch::nn::LayerNorm norm3{nullptr};
    torch::nn::Sequential ffn{nullptr};
    torch::Tensor modulation;

private:
    torch::Tensor forwardFolded(const torch::Tensor& x, const SelfAttentionContext& ctx,
                                KvCache& cache);

    double m_eps;
    bool m_folded = false;
};
TORCH_MODULE(WanBlock);

}  // namespace fvs::gpu
