#pragma once
// LQ projector (spec §1.4, §2.6): the HR-sized bicubic LR video → DiT tokens added before block 0.
// Both released semantics: v1 `Buffer_LQ4x_Proj` and v1.1 `Causal_LQ4x_Proj` (they differ only in
// which frames the conv caches hold). Weights are shared; per-session caches live in
// LqProjectorState. Parameter names equal the checkpoint keys of LQ_proj_in.ckpt.

#include <optional>

#include <torch/torch.h>

#include "fvs/core/result.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

enum class LqProjectorVersion { V1, V1_1 };

struct LqProjectorConfig {
    int64_t inChannels = 3;
    int64_t unshuffle = 16;  // spatial pixel-unshuffle factor (token = 16×16 px)
    int64_t hidden1 = 2048;  // conv1 output channels
    int64_t hidden2 = 3072;  // conv2 output channels
    int64_t outDim = 1536;   // DiT width
    LqProjectorVersion version = LqProjectorVersion::V1_1;

    // Widths from the tensor shapes (full release file or a reduced test checkpoint).
    static core::Result<LqProjectorConfig> fromWeights(const TensorMap& weights,
                                                       LqProjectorVersion version);
};

// Per-session state. reset() at the start of every video / after a seek.
struct LqProjectorState {
    torch::Tensor cache1;   // (1, inChannels*256, 2, h, w): conv1 history
    torch::Tensor cache2;   // (1, hidden1, 2, h, w): conv2 history (post-SiLU conv1 outputs)
    int64_t clipIndex = 0;  // 0: the next call is the priming call
    void reset();
};

class LqProjectorImpl : public torch::nn::Module {
public:
    explicit LqProjectorImpl(const LqProjectorConfig& config);

    const LqProjectorConfig& config() const { return m_config; }

    // One `stream_forward` call. clip: (1, 3, T, H, W) in [-1,1], H and W multiples of 16.
    // Priming call (state.clipIndex == 0): T == 1 (frame 0, repeated ×4 as the reference does);
    // primes the caches and returns nullopt. Later calls: T == 4; returns the tokens of one latent
    // frame, (1, (H/16)*(W/16), outDim), raster order (h, w).
    std::optional<torch::Tensor> streamClip(const torch::Tensor& clip, LqProjectorState& state);

    // Convenience for one DiT chunk. frames: (1, 3, 1 + 4m, H, W) when state.clipIndex == 0 (the
    // first frame primes), else (1, 3, 4m, H, W). Returns (1, m*(H/16)*(W/16), outDim): the m
    // per-clip token sets concatenated in time order (f, h, w), as the DiT expects.
    torch::Tensor projectFrames(const torch::Tensor& frames, LqProjectorState& state);

private:
    LqProjectorConfig m_config;
    // Causal temporal convs with REPLICATE padding, applied by hand (no built-in padding).
    torch::nn::Conv3d m_conv1{nullptr};   // "conv1"
    torch::nn::Conv3d m_conv2{nullptr};   // "conv2"
    torch::Tensor m_gamma1, m_gamma2;     // "norm1.gamma", "norm2.gamma" (C,1,1,1)
    torch::nn::Linear m_linear{nullptr};  // "linear_layers.0"
};
TORCH_MODULE(LqProjector);

// Builds the projector from a state dict (widths from the shapes) and loads it strictly.
core::Result<LqProjector> loadLqProjector(const TensorMap& weights, LqProjectorVersion version,
                                          const std::string& fileLabel);

}  // namespace fvs::gpu
