#include "engine/lq_input.h"

#include <cmath>
#include <vector>

namespace fvs::gpu {

namespace {

namespace F = torch::nn::functional;

// PIL's bicubic filter (Keys, a = -0.5), support 2.
double pilBicubic(double x) {
    constexpr double a = -0.5;
    x = std::abs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0)
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

// The (outSize × inSize) resampling matrix PIL builds in precompute_coeffs: the kernel is
// stretched when shrinking (antialias), the window is clipped at the borders and every row is
// renormalised to sum 1.
torch::Tensor pilWeights(int64_t inSize, int64_t outSize) {
    const double scale = static_cast<double>(inSize) / static_cast<double>(outSize);
    const double filterScale = std::max(scale, 1.0);
    const double support = 2.0 * filterScale;
    std::vector<double> weights(static_cast<size_t>(outSize * inSize), 0.0);
    for (int64_t out = 0; out < outSize; ++out) {
        const double center = (static_cast<double>(out) + 0.5) * scale;
        const int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
        const int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), inSize);
        double total = 0.0;
        for (int64_t i = lo; i < hi; ++i) {
            const double w = pilBicubic((static_cast<double>(i) - center + 0.5) / filterScale);
            weights[static_cast<size_t>(out * inSize + i)] = w;
            total += w;
        }
        if (total != 0.0)
            for (int64_t i = lo; i < hi; ++i)
                weights[static_cast<size_t>(out * inSize + i)] /= total;
    }
    return torch::tensor(weights, torch::kFloat64).view({outSize, inSize});
}

}  // namespace

torch::Tensor framesToUnitRange(const torch::Tensor& frames, torch::Dtype dtype) {
    TORCH_CHECK(frames.dim() == 4 && frames.size(3) == 3,
                "input preparation: expected RGB frames (F, H, W, 3), got ", frames.sizes());
    double maxValue = 0.0;
    if (frames.scalar_type() == torch::kUInt8)
        maxValue = 255.0;
    else if (frames.scalar_type() == torch::kUInt16)
        maxValue = 65535.0;
    TORCH_CHECK(maxValue > 0.0, "input preparation: expected uint8 or uint16 frames, got ",
                frames.scalar_type());
    auto x = frames.to(torch::kFloat32) / maxValue * 2.0 - 1.0;  // (F, H, W, 3) in [-1, 1]
    x = x.permute({3, 0, 1, 2}).unsqueeze(0);                    // (1, 3, F, H, W)
    return x.contiguous().to(dtype);
}

int64_t scaledSize(int64_t size, double scale) {
    return static_cast<int64_t>(std::nearbyint(static_cast<double>(size) * scale));
}

torch::Tensor bicubicResize(const torch::Tensor& video, int64_t outH, int64_t outW,
                            BicubicKernel kernel) {
    torch::NoGradGuard noGrad;
    TORCH_CHECK((video.dim() == 5 && video.size(0) == 1) || video.dim() == 4,
                "bicubic resize: expected (1, C, F, H, W) or (F, C, H, W), got ", video.sizes());
    TORCH_CHECK(video.is_floating_point(), "bicubic resize: expected a floating tensor, got ",
                video.scalar_type());
    TORCH_CHECK(outH > 0 && outW > 0, "bicubic resize: invalid output size ", outH, "x", outW);
    const bool fiveD = video.dim() == 5;
    auto frames = fiveD ? video.squeeze(0).transpose(0, 1) : video;  // (F, C, H, W)
    const int64_t inH = frames.size(2), inW = frames.size(3);
    torch::Tensor out;
    if (kernel == BicubicKernel::Torch) {
        out = F::interpolate(frames, F::InterpolateFuncOptions()
                                         .size(std::vector<int64_t>{outH, outW})
                                         .mode(torch::kBicubic)
                                         .align_corners(false));  // (F, C, outH, outW)
    } else {
        const auto compute =
            frames.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
        const auto x = frames.to(compute);
        const auto wh = pilWeights(inH, outH).to(x.options());  // (outH, inH)
        const auto ww = pilWeights(inW, outW).to(x.options());  // (outW, inW)
        // PIL resamples horizontally first, then vertically.
        auto y = torch::matmul(x, ww.t());  // (F, C, inH, outW)
        out = torch::matmul(wh, y);         // (F, C, outH, outW)
        out = out.to(frames.scalar_type());
    }
    return fiveD ? out.transpose(0, 1).unsqueeze(0) : out;  // back to the input layout
}

torch::Tensor replicatePadTo(const torch::Tensor& video, int64_t multiple) {
    TORCH_CHECK(video.dim() >= 2, "replicate pad: expected (..., H, W), got ", video.sizes());
    TORCH_CHECK(multiple > 0, "replicate pad: multiple must be positive, got ", multiple);
    const int64_t h = video.size(-2), w = video.size(-1);
    const int64_t padH = (multiple - h % multiple) % multiple;
    const int64_t padW = (multiple - w % multiple) % multiple;
    if (padH == 0 && padW == 0)
        return video;
    auto sizes = video.sizes().vec();
    auto x = video.reshape({-1, h, w});                                            // (N, H, W)
    x = F::pad(x, F::PadFuncOptions({0, padW, 0, padH}).mode(torch::kReplicate));  // (N, H', W')
    sizes[sizes.size() - 2] = h + padH;
    sizes[sizes.size() - 1] = w + padW;
    return x.reshape(sizes);  // (..., H', W')
}

}  // namespace fvs::gpu
