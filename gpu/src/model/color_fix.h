#pragma once
// Colour correction (spec §2.10): the decoded HR frames take the per-frame colour statistics of the
// LR-bicubic input; the result is clamped to [-1,1].

#include <torch/torch.h>

namespace fvs::gpu {

enum class ColorFixMethod { None, AdaIn, Wavelet };

// hr, lr: (1, 3, F, H, W) (or (F, 3, H, W)), same shape, values in [-1,1]. Computed in fp32,
// returned in hr's dtype.
// AdaIN: per frame and channel, population variance + 1e-5; then clamp.
torch::Tensor adainColorFix(const torch::Tensor& hr, const torch::Tensor& lr);
// Wavelet: high frequencies of hr + low frequencies of lr after `levels` dilated binomial blurs
// (dilation 1, 2, 4, ..., replicate padding); then clamp.
torch::Tensor waveletColorFix(const torch::Tensor& hr, const torch::Tensor& lr, int levels = 5);
// Dispatch. None returns hr unchanged (the reference does not clamp without a colour fix).
torch::Tensor applyColorFix(const torch::Tensor& hr, const torch::Tensor& lr,
                            ColorFixMethod method);

}  // namespace fvs::gpu
