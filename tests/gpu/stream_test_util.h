#pragma once
// Shared by the CPU tests of the FlashVSR stream and engine: the reduced e2e model folder (fp32,
// CPU) and deterministic smooth input frames.

#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include <torch/torch.h>

extern "C" {
#include <libavutil/frame.h>
}

#include "fvs/core/av_ptr.h"
#include "fvs/core/frame.h"

namespace fvs::test {

inline std::filesystem::path reducedModelFolder() {
    return std::filesystem::path(FVS_SOURCE_DIR) / "tests/data/parity/e2e_v11";
}

// Smooth random frames (T, 3, H, W) in [-1,1], deterministic.
inline torch::Tensor randomFrames(int64_t t, int64_t h, int64_t w, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    auto small = torch::rand({t, 3, (h + 7) / 8, (w + 7) / 8}, gen) * 2 - 1;
    return torch::nn::functional::interpolate(small, torch::nn::functional::InterpolateFuncOptions()
                                                         .size(std::vector<int64_t>{h, w})
                                                         .mode(torch::kBilinear)
                                                         .align_corners(false));
}

// An RGB24 picture w×h whose pattern depends on `index` and `seed`, with the given pts (stream time
// base) and ptsUs; an empty frame when the buffer cannot be allocated.
inline fvs::core::Frame patternFrame(int w, int h, int64_t index, int seed, int64_t pts,
                                     int64_t ptsUs) {
    auto av = fvs::core::makeFrame();
    av->format = AV_PIX_FMT_RGB24;
    av->width = w;
    av->height = h;
    if (av_frame_get_buffer(av.get(), 0) < 0) {
        return {};
    }
    for (int y = 0; y < h; ++y) {
        uint8_t* row = av->data[0] + static_cast<ptrdiff_t>(y) * av->linesize[0];
        for (int x = 0; x < w; ++x) {
            row[3 * x + 0] = static_cast<uint8_t>(x * 7 + index * 5 + seed * 31);
            row[3 * x + 1] = static_cast<uint8_t>(y * 11 + index * 3 + seed * 17);
            row[3 * x + 2] = static_cast<uint8_t>((x + y) * 5 + seed * 13);
        }
    }
    av->pts = pts;
    fvs::core::Frame f;
    f.av = std::move(av);
    f.index = index;
    f.ptsUs = ptsUs;
    return f;
}

}  // namespace fvs::test
