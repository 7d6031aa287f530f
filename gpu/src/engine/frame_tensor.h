#pragma once
// AVFrame (packed RGB24 / RGB48) ↔ tensor conversion for the FlashVSR processor.

#include <torch/torch.h>

#include "fvs/core/frame.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

// (3, H, W) float32 in [-1,1] from an RGB24 or RGB48 (native-endian) frame, on `device`: only the
// packed integer codes cross to the device; the conversion runs there.
core::Result<torch::Tensor> frameToUnitTensor(const core::Frame& frame,
                                              const torch::Device& device = torch::kCPU);

// (3, H, W) in [-1,1] → (H, W, 4) uint8 RGBA codes (alpha 255) on the image's device, rounded like
// unitTensorToFrame: what a GPU display shows without a trip through host memory.
torch::Tensor unitTensorToRgba(const torch::Tensor& image);

// (3, H, W) in [-1,1] → a new RGB24 (or RGB48) AVFrame. Values are ROUNDED to the nearest code
// ((x+1)/2*max, round half to even), unlike the reference scripts, which truncate. The
// rounding runs on the image's device; only the integer codes are copied to the host.
core::Result<core::AvFramePtr> unitTensorToFrame(const torch::Tensor& image, AVPixelFormat format);

}  // namespace fvs::gpu
