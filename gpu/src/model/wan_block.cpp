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

void WanBlockImpl::foldModulation(const torch::Tensor& tMod) {
    torch::NoGradGuard noGrad;
    TORCH_CHECK(!m_folded, "block: modulation already folded");
    const int64_t dim = modulation.size(2);
    TORCH_CHECK(tMod.sizes() == torch::IntArrayRef({1, 6, dim}), "block: t_mod ", tMod.sizes());
    // The reference's constants, in its dtype: (modulation + t_mod), then 1 + scale.
    auto mods = (modulation + tMod.to(modulation.scalar_type())).view({6, dim});
    auto shiftA = mods[0].to(torch::kFloat32), scaleA = (1 + mods[1]).to(torch::kFloat32);
    auto gateA = mods[2].to(torch::kFloat32);
    auto shiftF = mods[3].to(torch::kFloat32), scaleF = (1 + mods[4]).to(torch::kFloat32);
    auto gateF = mods[5].to(torch::kFloat32);
    // y = LN(x)*(1+s) + shift feeds W y + b  ==  (W diag(1+s)) LN(x) + (b + W shift).
    auto foldInput = [&](torch::nn::Linear& lin, const torch::Tensor& scale,
                         const torch::Tensor& shift) {
        auto w = lin->weight.to(torch::kFloat32);  // (out, in)
        auto b = lin->bias.to(torch::kFloat32);
        lin->bias.copy_(b + torch::mv(w, shift));
        lin->weight.copy_(w * scale.unsqueeze(0));
    };
    // gate * (W a + b)  ==  (diag(gate) W) a + gate*b.
    auto foldOutput = [&](torch::nn::Linear& lin, const torch::Tensor& gate) {
        lin->weight.copy_(lin->weight.to(torch::kFloat32) * gate.unsqueeze(1));
        lin->bias.copy_(lin->bias.to(torch::kFloat32) * gate);
    };
    foldInput(self_attn->q, scaleA, shiftA);
    foldInput(self_attn->k, scaleA, shiftA);
    foldInput(self_attn->v, scaleA, shiftA);
    foldOutput(self_attn->o, gateA);
    auto ffnIn = ffn->ptr<torch::nn::LinearImpl>(0);
    auto ffnOut = ffn->ptr<torch::nn::LinearImpl>(2);
    torch::nn::Linear in(ffnIn), out(ffnOut);
    foldInput(in, scaleF, shiftF);
    foldOutput(out, gateF);
    m_folded = true;
}

torch::Tensor WanBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& tMod,
                                    const SelfAttentionContext& ctx, KvCache& cache) {
    if (m_folded) {
        return forwardFolded(x, ctx, cache);
    }
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
    auto crossOut = cross_attn->forward(norm3(h), nullptr, ctx.fusedKernels);  // no mod., no gate
    tap("cross_attn_out", crossOut);
    h = h + crossOut;
    StageProfiler::mark("block.cross_attn", device);
    auto z = layerNorm(h) * (1 + mods[4]) + mods[3];
    h = h + mods[5] * ffn->forward(z);
    StageProfiler::mark("block.ffn", device);
    tap("out", h);
    return h;
}

torch::Tensor WanBlockImpl::forwardFolded(const torch::Tensor& x, const SelfAttentionContext& ctx,
                                          KvCache& cache) {
    const int64_t dim = x.size(2);
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
    auto y = layerNorm(x);
    StageProfiler::mark("block.norm_mod", device);
    auto h = self_attn->forward(y, ctx, cache, &x);  // x + gate*self_attn(...), gate folded
    h = cross_attn->forward(norm3(h), &h, ctx.fusedKernels);  // h + cross_attn(norm3(h))
    StageProfiler::mark("block.cross_attn", device);
    auto z = layerNorm(h).view({-1, dim});  // (L, D)
    auto in = ffn->ptr<torch::nn::LinearImpl>(0);
    auto out = ffn->ptr<torch::nn::LinearImpl>(2);
    // Bias + GELU (tanh) in the GEMM's epilogue, then the residual add inside the second GEMM.
    auto hidden = at::_addmm_activation(in->bias, z, in->weight.t(), 1, 1, /*use_gelu=*/true);
    auto result = linearPlusResidual(torch::nn::Linear(out), hidden, h.view({-1, dim}));
    StageProfiler::mark("block.ffn", device);
    result = result.view(x.sizes());
    tap("out", result);
    return result;
}

}  // namespace fvs::gpu
