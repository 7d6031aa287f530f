#pragma once
// AVFrame (packed RGB24 / RGB48) ↔ tensor conversion for the FlashVSR processor.

#include <torch/torch.h>

#include "fvs/core/frame.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

// (3, H, W) float32 in [-1,1] from an RGB24 or RGB48 (native-endian) frame.
core::Result<torch::Tensor> frameToUnitTensor(const core::Frame& frame);

// (3, H, W) in [-1,1] → a new RGB24 (or RGB48) AVFrame. Values are ROUNDED to the nearest code
// ((x+1)/2*max, round half away from zero), unlike the reference scripts, which truncate.
core::Result<core::AvFramePtr> unitTensorToFrame(const torch::Tensor& image, AVPixelFormat format);

}  // namespace fvs::gpu
