#pragma once
// Input preparation (spec §2.1): RGB frames → float [-1,1] → bicubic ×scale → replicate-pad to
// multiples of 128 (the engine crops the output back; nothing is centre-cropped away).

#include <cstdint>

#include <torch/torch.h>

namespace fvs::gpu {

enum class BicubicKernel {
    Pil,  // PIL Image.resize(BICUBIC): Keys a = -0.5, antialiased when shrinking, window clipped
          // at the borders and renormalised. Computed in float: PIL's uint8 fixed-point rounding
          // is NOT reproduced bit-exactly. Default for real video (what the official scripts use).
    Torch,  // torch interpolate(mode=bicubic, align_corners=false): a = -0.75, clamped borders.
            // Used by the parity goldens.
};

// frames: (F, H, W, 3) uint8 or uint16 (kUInt16), RGB, any device. Returns (1, 3, F, H, W) in
// [-1,1] as `dtype`: x / max * 2 - 1 (max = 255 or 65535).
torch::Tensor framesToUnitRange(const torch::Tensor& frames, torch::Dtype dtype = torch::kFloat32);

// round(size * scale) as the official Tiny scripts compute it (Python round: half to even).
int64_t scaledSize(int64_t size, double scale);

// video: (1, C, F, H, W) or (F, C, H, W) floating; resized per frame to outH × outW.
torch::Tensor bicubicResize(const torch::Tensor& video, int64_t outH, int64_t outW,
                            BicubicKernel kernel = BicubicKernel::Pil);

// Pads H and W up to multiples of `multiple` by repeating the last row/column (bottom/right).
// video: (..., H, W). Returns the input unchanged when already aligned.
torch::Tensor replicatePadTo(const torch::Tensor& video, int64_t multiple = 128);

}  // namespace fvs::gpu
