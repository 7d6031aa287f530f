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

    WanSelfAttention self_attn{nullptr};
    WanCrossAttention cross_attn{nullptr};
    torch::nn::LayerNorm norm3{nullptr};
    torch::nn::Sequential ffn{nullptr};
    torch::Tensor modulation;

private:
    double m_eps;
};
TORCH_MODULE(WanBlock);

}  // namespace fvs::gpu
