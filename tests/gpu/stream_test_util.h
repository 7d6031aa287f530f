#pragma once
// Shared by the CPU tests of the FlashVSR stream and engine: the reduced e2e model folder (fp32,
// CPU) and deterministic smooth input frames.

#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include <torch/torch.h>

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

}  // namespace fvs::test
