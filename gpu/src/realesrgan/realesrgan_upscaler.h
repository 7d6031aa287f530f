#pragma once
// RealEsrganUpscaler: one picture through a Real-ESRGAN network in overlapping tiles.
// The frame is first extended by kBorderPixels of mirror padding (what the ncnn runtime of the
// wheel does, so results match it at the borders too; measured: edge replication gives 27 dB
// against it, mirroring 86 dB); tiles then read kOverlapPixels of real
// neighbours on each inner side, which covers the compact model's receptive field (18 px), so
// tiled output equals whole-frame output there up to rounding. Immutable after construction apart
// from the stop flag; one thread drives it.

#include <torch/torch.h>

#include <memory>
#include <stop_token>

#include "realesrgan/ncnn_network.h"

namespace fvs::gpu {

struct RealEsrganTiling {
    int tilePixels = 0;  // tile side in input pixels; 0: whole frame
    static constexpr int kBorderPixels = 10;
    static constexpr int kOverlapPixels = 20;
};

class RealEsrganUpscaler {
public:
    RealEsrganUpscaler(std::shared_ptr<const NcnnNetwork> network, int scale,
                       RealEsrganTiling tiling);

    // (3, H, W) float in [0, 1] on the network's device -> (3, H*scale, W*scale) float32 in
    // [0, 1] (not clamped). Returns an undefined tensor when `stop` was requested between tiles;
    // LibTorch errors (out of memory) propagate as c10::Error.
    torch::Tensor upscale(const torch::Tensor& image, const std::stop_token& stop) const;

    int scale() const { return m_scale; }
    const NcnnNetwork& network() const { return *m_network; }

private:
    std::shared_ptr<const NcnnNetwork> m_network;
    int m_scale;
    RealEsrganTiling m_tiling;
};

}  // namespace fvs::gpu
