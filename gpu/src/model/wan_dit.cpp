#include "model/wan_dit.h"

#include <cstdio>
#include <string>

#include "engine/stage_profiler.h"
#include "model/rope.h"
#include "model/sparse_attention.h"

namespace fvs::gpu {

torch::Tensor sinusoidalEmbedding(int64_t dim, double timestep, torch::Dtype dtype,
                                  const torch::Device& device) {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device);
    const int64_t half = dim / 2;
    // The reference first casts the timestep to the model dtype (1000 is exact in bf16).
    auto position = torch::full({1}, timestep, f64.dtype(dtype)).to(torch::kFloat64);
    auto freqs = torch::pow(10000.0, -torch::arange(half, f64) / static_cast<double>(half));
    auto sinusoid = torch::outer(position, freqs);                                 // (1, half)
    return torch::cat({torch::cos(sinusoid), torch::sin(sinusoid)}, 1).to(dtype);  // (1, dim)
}

WanHeadImpl::WanHeadImpl(int64_t dim, int64_t outDim, double eps) : m_eps(eps) {
    head = register_module("head", torch::nn::Linear(dim, outDim * 4));
    modulation = register_parameter("modulation", torch::zeros({1, 2, dim}));
}

torch::Tensor WanHeadImpl::forward(const torch::Tensor& x, const torch::Tensor& t) {
    const int64_t dim = x.size(2);
    auto mods = (modulation + t.unsqueeze(1)).chunk(2, 1);  // shift, scale: 2 × (1, 1, D)
    auto normed = torch::layer_norm(x, {dim}, {}, {}, m_eps);
    return head(normed * (1 + mods[1]) + mods[0]);  // (1, L, out*4)
}

WanDitImpl::WanDitImpl(const WanConfig& config) : m_config(config) {
    const int64_t dim = config.dim;
    patch_embedding = register_module(
        "patch_embedding",
        torch::nn::Conv3d(
            torch::nn::Conv3dOptions(config.inDim, dim, {1, 2, 2}).stride({1, 2, 2})));
    text_embedding = register_module(
        "text_embedding",
        torch::nn::Sequential(torch::nn::Linear(config.textDim, dim),
                              torch::nn::GELU(torch::nn::GELUOptions().approximate("tanh")),
                              torch::nn::Linear(dim, dim)));
    time_embedding = register_module(
        "time_embedding", torch::nn::Sequential(torch::nn::Linear(config.freqDim, dim),
                                                torch::nn::SiLU(), torch::nn::Linear(dim, dim)));
    time_projection =
        register_module("time_projection",
                        torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(dim, dim * 6)));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < config.numLayers; ++i) {
        m_blocks.emplace_back(dim, config.ffnDim, config.numHeads, config.eps);
        blocks->push_back(m_blocks.back());
    }
    head = register_module("head", WanHead(dim, config.outDim, config.eps));
}

void WanDitImpl::initConstants(const torch::Tensor& context, bool foldModulation) {
    torch::NoGradGuard noGrad;
    const auto& weight = patch_embedding->weight;
    TORCH_CHECK(context.dim() == 3 && context.size(0) == 1 && context.size(2) == m_config.textDim,
                "prompt embedding must be (1, S, ", m_config.textDim, "), got ", context.sizes());
    auto ctx = context.to(weight.device(), weight.scalar_type());
    m_contextEmbedded = text_embedding->forward(ctx);  // (1, S, D)
    for (auto& block : m_blocks) {
        block->cross_attn->initCache(m_contextEmbedded);
    }
    auto e = sinusoidalEmbedding(m_config.freqDim, 1000.0, weight.scalar_type(), weight.device());
    m_t = time_embedding->forward(e);                                        // (1, D)
    m_tMod = time_projection->forward(m_t).unflatten(1, {6, m_config.dim});  // (1, 6, D)
    // CUDA bf16/fp16: the constant modulation goes into the weights (WanBlock::foldModulation).
    if (foldModulation && weight.is_cuda() && weight.scalar_type() != torch::kFloat32) {
        for (auto& block : m_blocks) {
            block->foldModulation(m_tMod);
        }
    }
}

torch::Tensor WanDitImpl::forward(const torch::Tensor& latents, const torch::Tensor& lqTokens,
                                  const DitChunkParams& params, std::vector<KvCache>& caches,
                                  std::stop_token stop) {
    torch::NoGradGuard noGrad;
    TORCH_CHECK(constantsReady(), "WanDit: initConstants() was not called");
    TORCH_CHECK(latents.dim() == 5 && latents.size(0) == 1 && latents.size(1) == m_config.inDim,
                "WanDit: latents must be (1, ", m_config.inDim, ", f, h, w), got ",
                latents.sizes());
    TORCH_CHECK(static_cast<int64_t>(caches.size()) == m_config.numLayers,
                "WanDit: ", caches.size(), " caches for ", m_config.numLayers, " blocks");
    const auto& weight = patch_embedding->weight;
    auto x = patch_embedding->forward(latents.to(weight.scalar_type()));  // (1, D, f, h, w)
    const int64_t f = x.size(2), h = x.size(3), w = x.size(4);
    TORCH_CHECK(f % kWindowFrames == 0 && h % kWindowSide == 0 && w % kWindowSide == 0,
                "WanDit: token grid (", f, ",", h, ",", w, ") must divide by (2,8,8)");
    x = x.flatten(2).transpose(1, 2).contiguous();  // (1, f*h*w, D)
    const auto tap = [&](const std::string& name, const torch::Tensor& t) {
        if (params.hooks && params.hooks->tap) {
            params.hooks->tap(name, t);
        }
    };
    tap("patchify", x);
    if (lqTokens.defined()) {
        TORCH_CHECK(lqTokens.sizes() == x.sizes(), "WanDit: LQ tokens ", lqTokens.sizes(),
                    " for hidden states ", x.sizes());
        x = x + lqTokens.to(x.scalar_type());  // only before block 0 (layer_num = 1)
    }
    SelfAttentionContext ctx;
    ctx.phases = ropePhases(m_config.headDim(), params.t0, f, h, w, x.device());
    // Per call, not cached: streams of different sizes share this module from several threads.
    ctx.local = localBlockMask(h / 8, w / 8, params.localRange, x.device());  // (ws, ws)
    if (x.is_cuda() && x.scalar_type() != torch::kFloat32) {
        // (L, 1, d/2) complex → (L, d/2, 2) fp32 cos/sin for the fused q/k kernel, once a chunk.
        ctx.phases32 = torch::view_as_real(ctx.phases.to(torch::kComplexFloat)).contiguous();
    }
    ctx.f = f;
    ctx.h = h;
    ctx.w = w;
    ctx.topk = lcsaTopk((h / 8) * (w / 8), params.topkRatio);
    ctx.kvGroups = params.kvGroups;
    ctx.localRange = params.localRange;
    ctx.numBlocks = static_cast<int64_t>(m_blocks.size());
    ctx.kvPool = params.kvPool;
    ctx.fusedKernels = params.fusedKernels;
    ctx.attention = params.attention;
    ctx.gatherBudgetBytes = params.gatherBudgetBytes;
    ctx.hooks = params.hooks;
    ctx.stats = params.stats;
    bool reportedNonFinite = false;
    for (size_t b = 0; b < m_blocks.size(); ++b) {
        if (stop.stop_requested()) {
            throw StopRequested();
        }
        ctx.blockIndex = static_cast<int64_t>(b);
        x = m_blocks[b]->forward(x, m_tMod, ctx, caches[b]);
        if (StageProfiler::enabled() && !reportedNonFinite &&
            !torch::isfinite(x).all().item<bool>()) {
            // Profiling only (it syncs anyway): the first block whose output is not finite.
            std::fprintf(stderr, "non-finite hidden states after block %zu (latent frame %lld)\n",
                         b, static_cast<long long>(params.t0));
            reportedNonFinite = true;
        }
    }
    x = head->forward(x, m_t);  // (1, f*h*w, out*4)
    tap("head", x);
    const int64_t c = m_config.outDim;
    return x
        .view({1, f, h, w, 1, 2, 2, c})     // (1, f, h, w, pf, ph, pw, C)
        .permute({0, 7, 1, 4, 2, 5, 3, 6})  // (1, C, f, pf, h, ph, w, pw)
        .reshape({1, c, f, 2 * h, 2 * w});  // (1, C, f, 2h, 2w)
}

}  // namespace fvs::gpu
