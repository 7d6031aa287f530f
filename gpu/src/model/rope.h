#pragma once
// 3-D rotary position embedding of the Wan DiT (spec §3.1): interleaved (real, imag) pairs, the
// head dimension split t/h/w like the reference (44/42/42 at head_dim 128). Phases are computed on
// the fly in float64 for any absolute temporal position: no 1024-row table, hence no 4,093-frame
// limit.

#include <cstdint>

#include <torch/torch.h>

namespace fvs::gpu {

// Phases for the token grid (f, h, w) whose first temporal position is `t0`:
// complex128 tensor (f*h*w, 1, headDim/2), tokens in raster order (f, h, w).
torch::Tensor ropePhases(int64_t headDim, int64_t t0, int64_t f, int64_t h, int64_t w,
                         const torch::Device& device);

// x: (1, L, heads*headDim) in any float dtype; rotated in float64 and cast back (like the
// reference).
torch::Tensor applyRope(const torch::Tensor& x, const torch::Tensor& phases, int64_t numHeads);

}  // namespace fvs::gpu
