#include "model/wan_attention.h"

#include <string>

#include "model/rope.h"
#include "model/sparse_attention.h"
#include "engine/stage_profiler.h"

namespace fvs::gpu {

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : m_eps(eps) {
    weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
    auto xf = x.to(torch::kFloat32);
    auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + m_eps);
    return normed.to(x.scalar_type()) * weight;
}

WanSelfAttentionImpl::WanSelfAttentionImpl(int64_t dim, int64_t numHeads, double eps)
    : m_numHeads(numHeads) {
    q = register_module("q", torch::nn::Linear(dim, dim));
    k = register_module("k", torch::nn::Linear(dim, dim));
    v = register_module("v", torch::nn::Linear(dim, dim));
    o = register_module("o", torch::nn::Linear(dim, dim));
    norm_q = register_module("norm_q", RmsNorm(dim, eps));
    norm_k = register_module("norm_k", RmsNorm(dim, eps));
}

torch::Tensor WanSelfAttentionImpl::forward(const torch::Tensor& x, const SelfAttentionContext& ctx,
                                            KvCache& cache) {
    const int64_t f = ctx.f, h = ctx.h, w = ctx.w;
    TORCH_CHECK(x.dim() == 3 && x.size(1) == f * h * w, "self-attention: x ", x.sizes(),
                " for grid (", f, ",", h, ",", w, ")");
    const std::string prefix = "blocks." + std::to_string(ctx.blockIndex) + ".";
    auto tap = [&](const char* name, const torch::Tensor& t) {
        if (ctx.hooks && ctx.hooks->tap) {
            ctx.hooks->tap(prefix + name, t);
        }
    };
    auto qr = applyRope(norm_q(q(x)), ctx.phases, m_numHeads);  // (1, L, D)
    auto kr = applyRope(norm_k(k(x)), ctx.phases, m_numHeads);  // (1, L, D)
    auto vv = v(x);                                             // (1, L, D)
    auto qw = windowPartition(qr, f, h, w);                     // (Lq_win, 128, D)
    auto kw = windowPartition(kr, f, h, w);                     // (Lq_win, 128, D)
    auto vw = windowPartition(vv, f, h, w);                     // (Lq_win, 128, D)
    StageProfiler::mark("self.qkv_rope_windows", x.device());
    const int64_t headDim = x.size(2) / m_numHeads;
    // Taps in the kernel's layout: window-order tokens × heads × head_dim.
    tap("q", qw.view({-1, m_numHeads, headDim}));
    tap("k", kw.view({-1, m_numHeads, headDim}));
    tap("v", vw.view({-1, m_numHeads, headDim}));
    const int64_t queryGroups = f / kWindowFrames;
    const int64_t ws = qw.size(0) / queryGroups;  // windows per temporal group
    if (cache.k.defined()) {
        kw = torch::cat({cache.k, kw}, 0);  // (cached + Lq_win, 128, D)
        vw = torch::cat({cache.v, vw}, 0);  // (cached + Lq_win, 128, D)
    }
    StageProfiler::mark("self.kv_cat", x.device());
    auto mask = lcsaBlockMask(qw, kw, m_numHeads, queryGroups, ctx.topk, ctx.local);
    StageProfiler::mark("self.mask", x.device());
    if (ctx.hooks && ctx.hooks->injectMask) {
        auto injected = ctx.hooks->injectMask(ctx.blockIndex);
        if (injected.defined()) {
            TORCH_CHECK(injected.sizes() == mask.sizes(), "injected mask ", injected.sizes(),
                        " for block ", ctx.blockIndex, " expected ", mask.sizes());
            injected = injected.to(mask.device(), torch::kBool);
            if (ctx.stats) {
                ctx.stats->maskFlips += (injected != mask).sum().item<int64_t>();
            }
            mask = injected;
        }
    }
    if (ctx.stats) {
        ctx.stats->emptyQueryBlocks += mask.any(3).logical_not().sum().item<int64_t>();
        ctx.stats->selectedBlocks += mask.sum().item<int64_t>();
        ctx.stats->candidateBlocks += mask.numel();
    }
    tap("mask", mask);
    StageProfiler::mark("self.stats_hooks", x.device());
    auto attn = blockSparseAttention(qw, kw, vw, mask, m_numHeads, ctx.attention,
                                     ctx.gatherBudgetBytes);  // (Lq_win, 128, D)
    StageProfiler::mark("self.attention", x.device());
    // The cache keeps int(kv_ratio) groups; only the oldest single group is ever dropped.
    const int64_t groups = kw.size(0) / ws;
    if (groups > ctx.kvGroups) {
        cache.k = kw.slice(0, ws).contiguous();  // (groups-1)*ws windows
        cache.v = vw.slice(0, ws).contiguous();
    } else {
        cache.k = kw;
        cache.v = vw;
    }
    tap("attn", attn.view({-1, m_numHeads, headDim}));
    auto out = o(windowReverse(attn, f, h, w));  // (1, L, D)
    StageProfiler::mark("self.cache_out", x.device());
    return out;
}

WanCrossAttentionImpl::WanCrossAttentionImpl(int64_t dim, int64_t numHeads, double eps)
    : m_numHeads(numHeads) {
    q = register_module("q", torch::nn::Linear(dim, dim));
    k = register_module("k", torch::nn::Linear(dim, dim));
    v = register_module("v", torch::nn::Linear(dim, dim));
    o = register_module("o", torch::nn::Linear(dim, dim));
    norm_q = register_module("norm_q", RmsNorm(dim, eps));
    norm_k = register_module("norm_k", RmsNorm(dim, eps));
}

void WanCrossAttentionImpl::initCache(const torch::Tensor& contextEmbedded) {
    m_cacheK = norm_k(k(contextEmbedded));  // (1, S, D)
    m_cacheV = v(contextEmbedded);          // (1, S, D)
}

torch::Tensor WanCrossAttentionImpl::forward(const torch::Tensor& x) {
    TORCH_CHECK(m_cacheK.defined(), "cross-attention used before its K/V were initialised");
    const int64_t length = x.size(1);
    const int64_t dim = x.size(2);
    const int64_t headDim = dim / m_numHeads;
    auto qh = norm_q(q(x)).view({1, length, m_numHeads, headDim}).transpose(1, 2);  // (1,H,L,d)
    auto kh = m_cacheK.view({1, -1, m_numHeads, headDim}).transpose(1, 2);          // (1,H,S,d)
    auto vh = m_cacheV.view({1, -1, m_numHeads, headDim}).transpose(1, 2);          // (1,H,S,d)
    auto out = at::scaled_dot_product_attention(qh, kh, vh);                        // (1,H,L,d)
    return o(out.transpose(1, 2).reshape({1, length, dim}));                        // (1, L, D)
}

}  // namespace fvs::gpu
