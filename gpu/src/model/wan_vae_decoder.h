#pragma once
// Wan 2.1 VAE decoder (spec §1.6, §5) for the Full variant: causal conv caches, one latent frame
// per step; streaming per chunk with the carried WanVaeDecoderState equals whole-clip decoding.
// Parameter names equal the Wan2.1_VAE.pth keys (`conv2.*`, `decoder.*`); encoder keys are ignored
// by loadWanVaeDecoder.

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "fvs/core/result.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

struct WanVaeDecoderConfig {
    int64_t dim = 96;  // base width
    int64_t zDim = 16;
    std::vector<int64_t> dimMult{1, 2, 4, 4};
    int64_t numResBlocks = 2;
    std::vector<bool> temporalUpsample{true, true, false};  // decoder order (reverse of encoder)

    static core::Result<WanVaeDecoderConfig> fromWeights(const TensorMap& weights);
};

// Per-session state: one slot per cached CausalConv3d / upsample3d time_conv, in forward order.
struct WanVaeDecoderState {
    std::vector<torch::Tensor> cache;  // last (up to) 2 input frames of each cached conv
    std::vector<bool> rep;             // upsample3d slot still in its first-step 'Rep' mark
    bool started = false;              // false: the next latent frame is frame 0 of the video
    void reset();
};

class WanVaeDecoderImpl : public torch::nn::Module {
public:
    explicit WanVaeDecoderImpl(const WanVaeDecoderConfig& config);

    const WanVaeDecoderConfig& config() const { return m_config; }

    // latents: (1, zDim, T, h, w), the normalised DiT latents (de-normalised here with the Wan 2.1
    // mean/std). Returns (1, 3, 1 + 4(T-1) on the first call of a session else 4T, 8h, 8w),
    // clamped to [-1,1].
    torch::Tensor decodeChunk(const torch::Tensor& latents, WanVaeDecoderState& state);

    struct Block;  // one entry of decoder.middle / decoder.upsamples (defined in the .cpp)

    // Number of cache slots a session needs (cached convs + upsample3d time convs).
    int64_t cacheSlots() const { return m_cacheSlots; }

private:
    torch::Tensor decodeFrame(torch::Tensor x, WanVaeDecoderState& state);

    WanVaeDecoderConfig m_config;
    torch::nn::Conv3d m_conv2{nullptr};            // "conv2" (1×1×1)
    torch::nn::Conv3d m_conv1{nullptr};            // "decoder.conv1"
    std::vector<std::shared_ptr<Block>> m_blocks;  // decoder.middle.*, decoder.upsamples.*
    torch::Tensor m_headGamma;                     // "decoder.head.0.gamma"
    torch::nn::Conv3d m_headConv{nullptr};         // "decoder.head.2"
    int64_t m_conv1Slot = 0, m_headSlot = 0, m_cacheSlots = 0;
};
TORCH_MODULE(WanVaeDecoder);

// Builds the decoder from a Wan2.1_VAE.pth state dict (decoder.* and conv2.* only; widths from the
// shapes) and loads it strictly for those keys.
core::Result<WanVaeDecoder> loadWanVaeDecoder(const TensorMap& weights,
                                              const std::string& fileLabel);

}  // namespace fvs::gpu
