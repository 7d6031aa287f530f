#include "fvs/core/compare_maps.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace fvs::core {
namespace {

int strideOf(const PixelView& v) {
    return v.strideBytes > 0 ? v.strideBytes : v.width * v.channels;
}

std::string describe(const PixelView& v) {
    return std::to_string(v.width) + "x" + std::to_string(v.height) + "x" +
           std::to_string(v.channels);
}

Result<void> checkView(const PixelView& v, const char* name) {
    if (!v.data || v.width <= 0 || v.height <= 0)
        return makeError(ErrorCode::InvalidArgument, std::string(name) + ": empty image");
    if (v.channels != 3 && v.channels != 4)
        return makeError(
            ErrorCode::InvalidArgument,
            std::string(name) + ": " + std::to_string(v.channels) + " channels (3 or 4 expected)");
    if (strideOf(v) < v.width * v.channels)
        return makeError(ErrorCode::InvalidArgument,
                         std::string(name) + ": stride " + std::to_string(strideOf(v)) +
                             " below the row size " + std::to_string(v.width * v.channels));
    return {};
}

}  // namespace

PixelView viewOf(const PixelBuffer& buffer) {
    return {buffer.pixels.data(), buffer.width, buffer.height, buffer.channels, 0};
}

Result<PixelBuffer> differenceMap(const PixelView& a, const PixelView& b, int gain) {
    if (auto ok = checkView(a, "upscaled"); !ok)
        return ok.error();
    if (auto ok = checkView(b, "source"); !ok)
        return ok.error();
    if (a.width != b.width || a.height != b.height || a.channels != b.channels)
        return makeError(ErrorCode::InvalidArgument, "difference map: size mismatch, upscaled " +
                                                         describe(a) + " vs source " + describe(b));
    if (gain < 1 || gain > 255)
        return makeError(ErrorCode::InvalidArgument,
                         "difference map: gain " + std::to_string(gain) + " (1..255 expected)");
    PixelBuffer out{a.width, a.height, a.channels, {}};
    out.pixels.resize(static_cast<size_t>(a.width) * a.height * a.channels);
    const int colour = std::min(a.channels, 3);
    uint8_t* dst = out.pixels.data();
    for (int y = 0; y < a.height; ++y) {
        const uint8_t* pa = a.data + static_cast<size_t>(y) * strideOf(a);
        const uint8_t* pb = b.data + static_cast<size_t>(y) * strideOf(b);
        for (int x = 0; x < a.width; ++x) {
            for (int c = 0; c < colour; ++c)
                dst[c] = static_cast<uint8_t>(std::min(255, std::abs(pa[c] - pb[c]) * gain));
            if (a.channels == 4)
                dst[3] = 255;
            pa += a.channels;
            pb += b.channels;
            dst += a.channels;
        }
    }
    return out;
}

Result<PixelBuffer> resampleNearest(const PixelView& source, int width, int height) {
    if (auto ok = checkView(source, "source"); !ok)
        return ok.error();
    if (width <= 0 || height <= 0)
        return makeError(
            ErrorCode::InvalidArgument,
            "resample: target size " + std::to_string(width) + "x" + std::to_string(height));
    PixelBuffer out{width, height, source.channels, {}};
    out.pixels.resize(static_cast<size_t>(width) * height * source.channels);
    uint8_t* dst = out.pixels.data();
    for (int y = 0; y < height; ++y) {
        // The source pixel whose area holds the centre of target pixel (x, y).
        const int sy = std::min(source.height - 1,
                                static_cast<int>((2LL * y + 1) * source.height / (2LL * height)));
        const uint8_t* row = source.data + static_cast<size_t>(sy) * strideOf(source);
        for (int x = 0; x < width; ++x) {
            const int sx = std::min(source.width - 1,
                                    static_cast<int>((2LL * x + 1) * source.width / (2LL * width)));
            std::copy_n(row + static_cast<size_t>(sx) * source.channels, source.channels, dst);
            dst += source.channels;
        }
    }
    return out;
}

}  // namespace fvs::core
