#include "model/wan_attention.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#ifdef FVS_HAVE_KERNELS
#include <ATen/cuda/CUDAContext.h>

#include "qk_norm_rope.h"
#endif

#include "cuda/cudnn_paged_sdpa.h"
#include "engine/stage_profiler.h"
#include "model/paged_kv_pool.h"
#include "model/rope.h"
#include "model/sparse_attention.h"

namespace fvs::gpu {

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : m_eps(eps) {
    weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
    auto xf = x.to(torch::kFloat32);
    auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + m_eps);
    return normed.to(x.scalar_type()) * weight;
}

bool pagedCudnnAttentionRuns(AttentionPath path, const torch::Device& device, torch::Dtype dtype) {
    const bool half = dtype == torch::kBFloat16 || dtype == torch::kHalf;
    return (path == AttentionPath::Auto || path == AttentionPath::Paged) && half &&
           device.is_cuda() && cudnnPagedSdpaAvailable(device);
}

namespace {

// The paged path (K/V in the stream's page pool): with Auto wherever cuDNN SDPA with page tables
// runs (CUDA bf16/fp16, cuDNN paged attention in the build); with Paged also elsewhere, the
// attention over the page tables then computed by pagedAttentionReference (CPU tests of the pool's
// slot bookkeeping over a whole stream).
bool usePagedAttention(const SelfAttentionContext& ctx, const torch::Tensor& q) {
    if (ctx.kvPool == nullptr) {
        return false;
    }
    if (ctx.attention == AttentionPath::Paged) {
        return true;
    }
    return pagedCudnnAttentionRuns(ctx.attention, q.device(), q.scalar_type());
}

// RMSNorm of x (1, L, D) in place of norm(x), as one CUDA kernel (no RoPE, raster layout).
bool fusedRmsNorm(torch::Tensor& x, const RmsNorm& norm, int64_t numHeads, bool allowed) {
#ifdef FVS_HAVE_KERNELS
    const bool half = x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kHalf;
    if (!allowed || !x.is_cuda() || !half) {
        return false;
    }
    auto in = x.contiguous();
    auto out = torch::empty_like(in);
    kernels::QkNormRopeArgs args;
    args.count = 1;
    args.windowed = false;
    args.tensors[0].x = in.data_ptr();
    args.tensors[0].weight = norm->weight.data_ptr();
    args.tensors[0].out = out.data_ptr();
    args.frames = in.size(1);
    args.height = 1;
    args.width = 1;
    args.dim = in.size(2);
    args.headDim = in.size(2) / numHeads;
    args.eps = static_cast<float>(norm->eps());
    args.bf16 = in.scalar_type() == torch::kBFloat16;
    const auto status = kernels::launchQkNormRope(args, at::cuda::getCurrentCUDAStream());
    TORCH_CHECK(status == cudaSuccess, "fused RMSNorm kernel: ", cudaGetErrorString(status));
    x = out;
    return true;
#else
    (void)x;
    (void)norm;
    (void)numHeads;
    (void)allowed;
    return false;
#endif
}

}  // namespace

torch::Tensor linearPlusResidual(const torch::nn::Linear& linear, const torch::Tensor& x,
                                 const torch::Tensor& residual) {
    const int64_t in = x.size(-1), out = residual.size(-1);
    return at::addmm(residual.reshape({-1, out}), x.reshape({-1, in}), linear->weight.t())
        .add_(linear->bias)
        .view(residual.sizes());
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

// RMSNorm + RoPE + window partition of q and k in one CUDA kernel (gpu/kernels/qk_norm_rope.cu)
// where it is built and applies (CUDA, bf16/fp16, no taps that want the unfused steps).
bool WanSelfAttentionImpl::fusedQkNormRope(const torch::Tensor& x, const SelfAttentionContext& ctx,
                                           torch::Tensor& qw, torch::Tensor& kw) {
#ifdef FVS_HAVE_KERNELS
    const bool half = x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kHalf;
    if (!ctx.fusedKernels || !x.is_cuda() || !half || !ctx.phases32.defined() ||
        (ctx.hooks && ctx.hooks->tap)) {
        return false;
    }
    const int64_t length = x.size(1), dim = x.size(2);
    auto qLin = q(x).contiguous();                                               // (1, L, D)
    auto kLin = k(x).contiguous();                                               // (1, L, D)
    qw = torch::empty({length / kBlockTokens, kBlockTokens, dim}, x.options());  // (Lq_win,128,D)
    kw = torch::empty_like(qw);
    kernels::QkNormRopeArgs args;
    const RmsNorm* norms[2] = {&norm_q, &norm_k};
    const torch::Tensor* in[2] = {&qLin, &kLin};
    torch::Tensor* out[2] = {&qw, &kw};
    for (int i = 0; i < 2; ++i) {
        auto& t = args.tensors[i];
        t.x = in[i]->data_ptr();
        t.weight = (*norms[i])->weight.data_ptr();
        t.out = out[i]->data_ptr();
        t.headStride = dim / m_numHeads;  // window-major (Lq_win, 128, D)
        t.windowStride = kBlockTokens * dim;
        t.posStride = dim;
    }
    TORCH_CHECK(ctx.phases32.is_contiguous() && ctx.phases32.scalar_type() == torch::kFloat32 &&
                    ctx.phases32.size(0) == length,
                "fused q/k kernel: phases ", ctx.phases32.sizes(), " for ", length, " tokens");
    args.phases = ctx.phases32.data_ptr<float>();
    args.frames = ctx.f;
    args.height = ctx.h;
    args.width = ctx.w;
    args.dim = dim;
    args.headDim = dim / m_numHeads;
    args.eps = static_cast<float>(norm_q->eps());
    args.bf16 = x.scalar_type() == torch::kBFloat16;
    const auto status = kernels::launchQkNormRope(args, at::cuda::getCurrentCUDAStream());
    TORCH_CHECK(status == cudaSuccess, "fused q/k kernel: ", cudaGetErrorString(status));
    return true;
#else
    (void)x;
    (void)ctx;
    (void)qw;
    (void)kw;
    return false;
#endif
}

torch::Tensor WanSelfAttentionImpl::forward(const torch::Tensor& x, const SelfAttentionContext& ctx,
                                            KvCache& cache, const torch::Tensor* residual) {
    const int64_t f = ctx.f, h = ctx.h, w = ctx.w;
    TORCH_CHECK(x.dim() == 3 && x.size(1) == f * h * w, "self-attention: x ", x.sizes(),
                " for grid (", f, ",", h, ",", w, ")");
    const std::string prefix = "blocks." + std::to_string(ctx.blockIndex) + ".";
    auto tap = [&](const char* name, const torch::Tensor& t) {
        if (ctx.hooks && ctx.hooks->tap) {
            ctx.hooks->tap(prefix + name, t);
        }
    };
    torch::Tensor qw, kw;
    if (!fusedQkNormRope(x, ctx, qw, kw)) {
        auto qr = applyRope(norm_q(q(x)), ctx.phases, m_numHeads);  // (1, L, D)
        auto kr = applyRope(norm_k(k(x)), ctx.phases, m_numHeads);  // (1, L, D)
        qw = windowPartition(qr, f, h, w);                          // (Lq_win, 128, D)
        kw = windowPartition(kr, f, h, w);                          // (Lq_win, 128, D)
    }
    auto vw = windowPartition(v(x), f, h, w);  // (Lq_win, 128, D)
    StageProfiler::mark("self.qkv_rope_windows", x.device());
    const int64_t headDim = x.size(2) / m_numHeads;
    // Taps in the kernel's layout: window-order tokens × heads × head_dim.
    tap("q", qw.view({-1, m_numHeads, headDim}));
    tap("k", kw.view({-1, m_numHeads, headDim}));
    tap("v", vw.view({-1, m_numHeads, headDim}));
    const int64_t queryGroups = f / kWindowFrames;
    const int64_t ws = qw.size(0) / queryGroups;  // windows per temporal group
    // Computed mask → injected mask (parity work) → statistics.
    auto finishMask = [&](torch::Tensor mask) {
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
        return mask;
    };
    torch::Tensor attn;
    if (usePagedAttention(ctx, qw)) {
        // K/V read in place from the stream's page pool: the new groups go into free slots, the
        // block's oldest group beyond int(kv_ratio) back to the free list (nothing is copied).
        auto& pool = *ctx.kvPool;
        pool.reserve(
            ctx.numBlocks * ctx.kvGroups + std::max<int64_t>(1, queryGroups - ctx.kvGroups),
            m_numHeads, ws, headDim, qw.scalar_type(), qw.device());
        auto kMeans = kw.mean(1);  // (Lq_win, D) block means, kept with the group
        std::vector<int64_t> slots = cache.slots;
        for (int64_t g = 0; g < queryGroups; ++g) {
            const int64_t slot = pool.takeSlot();
            pool.write(slot, kw.slice(0, g * ws, (g + 1) * ws), vw.slice(0, g * ws, (g + 1) * ws),
                       kMeans.slice(0, g * ws, (g + 1) * ws));
            slots.push_back(slot);
        }
        StageProfiler::mark("self.kv_cat", x.device());
        const auto keyGroups = static_cast<int64_t>(slots.size());
        // Built once per shape and local range (the pool belongs to this stream alone).
        auto& bias = pool.biasCache()[{queryGroups, keyGroups, ws, ctx.localRange, ctx.w / 8}];
        if (!bias.defined()) {
            bias = lcsaLocalBias(ctx.local, queryGroups, keyGroups);
        }
        auto mask =
            finishMask(lcsaBlockMaskFromMeans(qw.mean(1), pool.means(slots), m_numHeads,
                                              queryGroups, ctx.topk, bias, ctx.fusedKernels));
        attn = pagedBlockSparseAttention(qw, pool, slots, mask, m_numHeads);  // (Lq_win, 128, D)
        StageProfiler::mark("self.attention", x.device());
        // Like the window-major cache below: only the oldest single group is ever dropped.
        if (keyGroups > ctx.kvGroups) {
            pool.releaseSlot(slots.front());
            slots.erase(slots.begin());
        }
        cache.slots = std::move(slots);
    } else {
        if (cache.k.defined()) {
            kw = torch::cat({cache.k, kw}, 0);  // (cached + Lq_win, 128, D)
            vw = torch::cat({cache.v, vw}, 0);  // (cached + Lq_win, 128, D)
        }
        StageProfiler::mark("self.kv_cat", x.device());
        auto mask = finishMask(lcsaBlockMask(qw, kw, m_numHeads, queryGroups, ctx.topk, ctx.local));
        attn = blockSparseAttention(qw, kw, vw, mask, m_numHeads, ctx.attention,
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
    }
    tap("attn", attn.view({-1, m_numHeads, headDim}));
    auto merged = windowReverse(attn, f, h, w);  // (1, L, D)
    torch::Tensor out;
    if (residual != nullptr) {
        out = linearPlusResidual(o, merged, *residual);
    } else {
        out = o(merged);
    }
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

torch::Tensor WanCrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor* residual,
                                             bool fusedKernels) {
    TORCH_CHECK(m_cacheK.defined(), "cross-attention used before its K/V were initialised");
    const int64_t length = x.size(1);
    const int64_t dim = x.size(2);
    const int64_t headDim = dim / m_numHeads;
    auto qn = q(x);
    if (!fusedRmsNorm(qn, norm_q, m_numHeads, fusedKernels)) {
        qn = norm_q(qn);
    }
    auto qh = qn.view({1, length, m_numHeads, headDim}).transpose(1, 2);    // (1,H,L,d)
    auto kh = m_cacheK.view({1, -1, m_numHeads, headDim}).transpose(1, 2);  // (1,H,S,d)
    auto vh = m_cacheV.view({1, -1, m_numHeads, headDim}).transpose(1, 2);  // (1,H,S,d)
    auto out = at::scaled_dot_product_attention(qh, kh, vh);                // (1,H,L,d)
    auto merged = out.transpose(1, 2).reshape({1, length, dim});            // (1, L, D)
    if (residual != nullptr) {
        return linearPlusResidual(o, merged, *residual);
    }
    return o(merged);  // (1, L, D)
}

}  // namespace fvs::gpu
