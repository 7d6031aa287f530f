#pragma once
// WanConfig: the DiT hyper-parameters, read from the weights' shapes (the release file carries no
// config), optionally overridden by a flashvsr_config.json next to the weights (reduced test
// models).

#include <cstdint>
#include <filesystem>

#include "fvs/core/result.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

struct WanConfig {
    int64_t dim = 1536;
    int64_t inDim = 16;
    int64_t outDim = 16;
    int64_t ffnDim = 8960;
    int64_t textDim = 4096;
    int64_t freqDim = 256;
    int64_t numLayers = 30;
    int64_t numHeads = 12;
    double eps = 1e-6;

    int64_t headDim() const { return dim / numHeads; }

    // Shapes from the DiT state dict; numHeads = dim / 128 unless `configJson` (if it exists) has
    // "num_heads" (also accepts "dit": {"num_heads": ...}). Inconsistent shapes are a ModelError.
    static core::Result<WanConfig> fromWeights(const TensorMap& dit,
                                               const std::filesystem::path& configJson = {});
};

}  // namespace fvs::gpu
