#include "realesrgan/realesrgan_upscaler.h"

#include <algorithm>

namespace fvs::gpu {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

RealEsrganUpscaler::RealEsrganUpscaler(std::shared_ptr<const NcnnNetwork> network, int scale,
                                       RealEsrganTiling tiling)
    : m_network(std::move(network)), m_scale(scale), m_tiling(tiling) {}

torch::Tensor RealEsrganUpscaler::upscale(const torch::Tensor& image,
                                          const std::stop_token& stop) const {
    TORCH_CHECK(image.dim() == 3 && image.size(0) == 3, "Real-ESRGAN: expected (3, H, W), got ",
                image.sizes());
    torch::NoGradGuard noGrad;
    const auto& options = m_network->options();
    const int64_t h = image.size(1), w = image.size(2), s = m_scale;
    constexpr int64_t b = RealEsrganTiling::kBorderPixels, ov = RealEsrganTiling::kOverlapPixels;
    // Mirror padding like the ncnn runtime; a frame too small to mirror repeats its edge.
    auto pad = F::PadFuncOptions({b, b, b, b});
    if (std::min(h, w) > b)
        pad.mode(torch::kReflect);
    else
        pad.mode(torch::kReplicate);
    auto padded = F::pad(image.to(options.device, torch::kFloat32).unsqueeze(0), pad)
                      .to(options.dtype);  // (1, 3, H+2b, W+2b)
    const int64_t tile = m_tiling.tilePixels > 0 ? m_tiling.tilePixels : std::max(h, w);
    auto out = torch::empty({3, h * s, w * s},
                            image.options().dtype(torch::kFloat32).device(options.device));
    for (int64_t y0 = 0; y0 < h; y0 += tile) {
        for (int64_t x0 = 0; x0 < w; x0 += tile) {
            if (stop.stop_requested())
                return {};
            const int64_t th = std::min(tile, h - y0), tw = std::min(tile, w - x0);
            // The tile's input in padded coordinates, `ov` more on each side where there is any.
            const int64_t ry0 = std::max<int64_t>(0, y0 + b - ov);
            const int64_t rx0 = std::max<int64_t>(0, x0 + b - ov);
            const int64_t ry1 = std::min(h + 2 * b, y0 + b + th + ov);
            const int64_t rx1 = std::min(w + 2 * b, x0 + b + tw + ov);
            auto region = padded.index({Slice(), Slice(), Slice(ry0, ry1), Slice(rx0, rx1)});
            auto y = m_network->forward(region.contiguous());  // (1, 3, s*rh, s*rw)
            TORCH_CHECK(y.dim() == 4 && y.size(1) == 3 && y.size(2) == (ry1 - ry0) * s &&
                            y.size(3) == (rx1 - rx0) * s,
                        "Real-ESRGAN: the network gave ", y.sizes(), " for a ", ry1 - ry0, "x",
                        rx1 - rx0, " tile at scale ", s);
            const int64_t cy = (y0 + b - ry0) * s, cx = (x0 + b - rx0) * s;
            out.index_put_({Slice(), Slice(y0 * s, (y0 + th) * s), Slice(x0 * s, (x0 + tw) * s)},
                           y[0].index({Slice(), Slice(cy, cy + th * s), Slice(cx, cx + tw * s)})
                               .to(torch::kFloat32));  // (3, th*s, tw*s)
        }
    }
    return out;
}

}  // namespace fvs::gpu
