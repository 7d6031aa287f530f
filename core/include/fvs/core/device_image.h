#pragma once
// DeviceImage: a picture whose pixels stay in GPU memory (CUDA), handed from an engine to the
// display without a trip through host memory (CUDA-OpenGL interop, issue #4 §5). Core knows no
// CUDA types: the pointer and stream are opaque here; `owner` keeps the memory alive (for example
// a LibTorch tensor) for as long as any Frame refers to it.

#include <cstddef>
#include <memory>

namespace fvs::core {

struct DeviceImage {
    const void* data = nullptr;  // device pointer to RGBA8 rows (R, G, B, A bytes per pixel)
    std::size_t pitchBytes = 0;  // bytes from one row to the next (>= 4 * width)
    int width = 0;
    int height = 0;
    int deviceIndex = 0;  // CUDA device ordinal
    std::shared_ptr<void>
        owner;  // keeps `data` valid; the producer finished writing before handing it over
};

}  // namespace fvs::core
