#pragma once
// Comparison maps for the preview: the per-pixel difference between the upscaled frame and the
// source resampled to the output size, amplified for display. Pure functions on packed 8-bit
// pixels (RGB24 or RGBA8888), no Qt, so they are tested without a display.

#include <cstdint>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::core {

// A read-only view of packed 8-bit pixels; `channels` is 3 (RGB24) or 4 (RGBA8888, alpha ignored).
struct PixelView {
    const uint8_t* data = nullptr;
    int width = 0;
    int height = 0;
    int channels = 3;
    int strideBytes = 0;  // 0: width * channels
};

// Packed pixels owned by the caller, same layout as the input they came from.
struct PixelBuffer {
    int width = 0;
    int height = 0;
    int channels = 3;
    std::vector<uint8_t> pixels;  // width * height * channels bytes
};

// The gains the UI offers (1x to 16x).
inline constexpr int kDifferenceGains[] = {1, 2, 4, 8, 16};

// min(255, |a - b| * gain) per channel; the output has a's channel count (alpha, if any, 255).
// a and b must have the same size and channel count; gain must be 1..255.
Result<PixelBuffer> differenceMap(const PixelView& a, const PixelView& b, int gain);

// Nearest-neighbour resampling of `source` to width x height (pixel centres mapped), used to
// bring the source to the output size before differenceMap.
Result<PixelBuffer> resampleNearest(const PixelView& source, int width, int height);

// A view of a buffer (for chaining resampleNearest into differenceMap).
PixelView viewOf(const PixelBuffer& buffer);

}  // namespace fvs::core
