#pragma once
// WanDit: the Wan 2.1 DiT with FlashVSR's streaming semantics (`model_fn_wan_video`, spec §2.7):
// one evaluation per chunk at t = 1000, LQ tokens added before block 0, per-block KV caches.
// Submodule/parameter names equal the checkpoint keys, so loading is strict (loadStateDict).

#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <vector>

#include <torch/torch.h>

#include "model/attention_path.h"
#include "model/dit_hooks.h"
#include "model/wan_attention.h"
#include "model/wan_block.h"
#include "model/wan_config.h"

namespace fvs::gpu {

// Thrown between blocks when the stop token is triggered; converted to ErrorCode::Cancelled at the
// module edge.
class StopRequested : public std::runtime_error {
public:
    StopRequested() : std::runtime_error("cancelled") {}
};

class WanHeadImpl : public torch::nn::Module {
public:
    WanHeadImpl(int64_t dim, int64_t outDim, double eps);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t);

    torch::nn::Linear head{nullptr};
    torch::Tensor modulation;

private:
    double m_eps;
};
TORCH_MODULE(WanHead);

struct DitChunkParams {
    int64_t t0 = 0;          // absolute latent index of the chunk's first frame
    double topkRatio = 2.0;  // lcsaTopkRatio(sparse_ratio, H, W)
    int64_t localRange = 11;
    int64_t kvGroups = 3;           // int(kv_ratio)
    PagedKvPool* kvPool = nullptr;  // the stream's K/V page pool (paged attention), or none
    bool fusedKernels = true;       // gpu/kernels where built (ModelOptions::fusedKernels)
    AttentionPath attention = AttentionPath::Auto;
    int64_t gatherBudgetBytes = 0;  // the Gather path's K/V budget; 0 = automatic
    const DitHooks* hooks = nullptr;
    AttentionStats* stats = nullptr;
};

class WanDitImpl : public torch::nn::Module {
public:
    explicit WanDitImpl(const WanConfig& config);

    // Constants computed once (spec §2.3): ctx_txt, per-block cross K/V, t, t_mod.
    // `context` (1, S, text_dim) is the prompt embedding (posi_prompt.pth).
    // `foldModulation`: on CUDA bf16/fp16, fold the constant modulation into the blocks' weights
    // (WanBlock::foldModulation); CPU runs stay unfolded (the fp32 goldens).
    void initConstants(const torch::Tensor& context, bool foldModulation = true);
    bool constantsReady() const { return m_t.defined(); }
    const torch::Tensor& contextEmbedded() const { return m_contextEmbedded; }
    const torch::Tensor& t() const { return m_t; }
    const torch::Tensor& tMod() const { return m_tMod; }

    // latents (1, in_dim, f, H/8, W/8); lqTokens (1, f*h*w, dim) or undefined; caches one per
    // block (updated). Returns v (1, out_dim, f, H/8, W/8). Throws StopRequested between blocks.
    torch::Tensor forward(const torch::Tensor& latents, const torch::Tensor& lqTokens,
                          const DitChunkParams& params, std::vector<KvCache>& caches,
                          std::stop_token stop = {});

    const WanConfig& config() const { return m_config; }

    torch::nn::Conv3d patch_embedding{nullptr};
    torch::nn::Sequential text_embedding{nullptr};
    torch::nn::Sequential time_embedding{nullptr};
    torch::nn::Sequential time_projection{nullptr};
    torch::nn::ModuleList blocks{nullptr};
    WanHead head{nullptr};

private:
    WanConfig m_config;
    std::vector<WanBlock> m_blocks;
    torch::Tensor m_contextEmbedded, m_t, m_tMod;  // constants; forward() writes no member
};
TORCH_MODULE(WanDit);

// Sinusoidal timestep embedding (float64 like the reference, cos first), cast to `dtype`.
torch::Tensor sinusoidalEmbedding(int64_t dim, double timestep, torch::Dtype dtype,
                                  const torch::Device& device);

}  // namespace fvs::gpu
