#include "model/color_fix.h"

namespace fvs::gpu {

namespace {

namespace F = torch::nn::functional;

// (1, C, F, H, W) → (F, C, H, W) in fp32; (F, C, H, W) passes through.
torch::Tensor toFrames(const torch::Tensor& x) {
    if (x.dim() == 5)
        return x.squeeze(0).transpose(0, 1).to(torch::kFloat32);  // (F, C, H, W)
    return x.to(torch::kFloat32);
}

torch::Tensor fromFrames(const torch::Tensor& y, const torch::Tensor& like) {
    auto out = like.dim() == 5 ? y.transpose(0, 1).unsqueeze(0) : y;  // (1, C, F, H, W)
    return out.to(like.scalar_type());
}

void checkPair(const torch::Tensor& hr, const torch::Tensor& lr, const char* what) {
    TORCH_CHECK((hr.dim() == 5 && hr.size(0) == 1) || hr.dim() == 4, what,
                ": expected (1, C, F, H, W) or (F, C, H, W), got ", hr.sizes());
    TORCH_CHECK(hr.sizes() == lr.sizes(), what, ": HR ", hr.sizes(), " and LR ", lr.sizes(),
                " shapes differ");
}

// Per frame and channel: mean, and sqrt(population variance + 1e-5).
std::pair<torch::Tensor, torch::Tensor> meanStd(const torch::Tensor& x) {
    const auto flat = x.flatten(2);  // (F, C, H*W)
    const auto var = flat.var(2, /*unbiased=*/false, /*keepdim=*/false) + 1e-5;
    const auto std = var.sqrt().unsqueeze(-1).unsqueeze(-1);     // (F, C, 1, 1)
    const auto mean = flat.mean(2).unsqueeze(-1).unsqueeze(-1);  // (F, C, 1, 1)
    return {mean, std};
}

// Dilated 3×3 binomial blur, depthwise, replicate padding = dilation.
torch::Tensor waveletBlur(const torch::Tensor& x, int64_t radius) {
    const int64_t c = x.size(1);
    const auto base = torch::tensor(
        {0.0625f, 0.125f, 0.0625f, 0.125f, 0.25f, 0.125f, 0.0625f, 0.125f, 0.0625f}, x.options());
    const auto weight = base.view({1, 1, 3, 3}).repeat({c, 1, 1, 1});  // (C, 1, 3, 3)
    const auto padded =
        F::pad(x, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
    return F::conv2d(padded, weight, F::Conv2dFuncOptions().dilation(radius).groups(c));
}

// Returns (high, low) after `levels` blurs.
std::pair<torch::Tensor, torch::Tensor> waveletDecompose(const torch::Tensor& x, int levels) {
    auto high = torch::zeros_like(x);
    auto low = x;
    for (int i = 0; i < levels; ++i) {
        const auto blurred = waveletBlur(low, int64_t{1} << i);
        high = high + (low - blurred);
        low = blurred;
    }
    return {high, low};
}

}  // namespace

torch::Tensor adainColorFix(const torch::Tensor& hr, const torch::Tensor& lr) {
    torch::NoGradGuard noGrad;
    checkPair(hr, lr, "AdaIN colour fix");
    const auto content = toFrames(hr);
    const auto style = toFrames(lr.to(hr.device()));
    const auto [styleMean, styleStd] = meanStd(style);
    const auto [contentMean, contentStd] = meanStd(content);
    const auto out = (content - contentMean) / contentStd * styleStd + styleMean;
    return fromFrames(out.clamp(-1, 1), hr);
}

torch::Tensor waveletColorFix(const torch::Tensor& hr, const torch::Tensor& lr, int levels) {
    torch::NoGradGuard noGrad;
    checkPair(hr, lr, "wavelet colour fix");
    TORCH_CHECK(levels >= 1 && levels <= 16, "wavelet colour fix: levels must be 1..16, got ",
                levels);
    const auto content = toFrames(hr);
    const auto style = toFrames(lr.to(hr.device()));
    const auto high = waveletDecompose(content, levels).first;
    const auto low = waveletDecompose(style, levels).second;
    return fromFrames((high + low).clamp(-1, 1), hr);
}

torch::Tensor applyColorFix(const torch::Tensor& hr, const torch::Tensor& lr,
                            ColorFixMethod method) {
    switch (method) {
        case ColorFixMethod::AdaIn:
            return adainColorFix(hr, lr);
        case ColorFixMethod::Wavelet:
            return waveletColorFix(hr, lr);
        case ColorFixMethod::None:
            break;
    }
    return hr;
}

}  // namespace fvs::gpu
