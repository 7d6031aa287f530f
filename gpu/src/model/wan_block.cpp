#include "model/wan_block.h"

#include <string>

#include "engine/stage_profiler.h"

namespace fvs::gpu {

WanBlockImpl::WanBlockImpl(int64_t dim, int64_t ffnDim, int64_t numHeads, double eps) : m_eps(eps) {
    self_attn = register_module("self_attn", WanSelfAttention(dim, numHeads, eps));
    cross_attn = register_module("cross_attn", WanCrossAttention(dim, numHeads, eps));
    norm3 = register_module(
        "norm3",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps).elementwise_affine(true)));
    ffn = register_module(
        "ffn", torch::nn::Sequential(torch::nn::Linear(dim, ffnDim),
                                     torch::nn::GELU(torch::nn::GELUOptions().approximate("tanh")),
                                     torch::nn::Linear(ffnDim, dim)));
    modulation = register_parameter("modulation", torch::zeros({1, 6, dim}));
}

torch::Tensor WanBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& tMod,
                                    const SelfAttentionContext& ctx, KvCache& cache) {
    const int64_t dim = x.size(2);
    TORCH_CHECK(tMod.sizes() == torch::IntArrayRef({1, 6, dim}), "block: t_mod ", tMod.sizes(),
                " for dim ", dim);
    // Order: shift, scale, gate (attention), shift, scale, gate (FFN).
    auto mods = (modulation + tMod).chunk(6, 1);  // 6 × (1, 1, D)
    auto layerNorm = [&](const torch::Tensor& t) {
        return torch::layer_norm(t, {dim}, {}, {}, m_eps);
    };
    auto tap = [&](const char* name, const torch::Tensor& t) {
        if (ctx.hooks && ctx.hooks->tap) {
            ctx.hooks->tap("blocks." + std::to_string(ctx.blockIndex) + "." + name, t);
        }
    };
    tap("in", x);
    const auto device = x.device();
    StageProfiler::begin(device);
    auto y = layerNorm(x) * (1 + mods[1]) + mods[0];
    StageProfiler::mark("block.norm_mod", device);
    auto selfOut = self_attn(y, ctx, cache);
    tap("self_attn_out", selfOut);
    auto h = x + mods[2] * selfOut;
    auto crossOut = cross_attn(norm3(h));  // no modulation, no gate
    tap("cross_attn_out", crossOut);
    h = h + crossOut;
    StageProfiler::mark("block.cross_attn", device);
    auto z = layerNorm(h) * (1 + mods[4]) + mods[3];
    h = h + mods[5] * ffn->forward(z);
    StageProfiler::mark("block.ffn", device);
    tap("out", h);
    return h;
}

}  // namespace fvs::gpu
