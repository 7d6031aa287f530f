#pragma once
// One pass for the self-attention's q and k after their Linear layers: RMSNorm over the full
// channel dim (fp32 statistics, rounded to the activation dtype before the weight, as the
// reference does), the 3-D rotary embedding (fp32 rotation of interleaved pairs), and the 2×8×8
// window partition, written straight into the layout the attention reads (head-major blocks for
// q, window-major for k). Torch-free: raw pointers on a given stream (gpu/kernels rule).

#include <cstdint>

#include <cuda_runtime_api.h>

namespace fvs::gpu::kernels {

struct QkNormRopeTensor {
    const void* x = nullptr;       // (L, D) activation dtype, row-major: the Linear's output
    const void* weight = nullptr;  // (D) RMSNorm weight
    void* out = nullptr;           // element (head, window, pos, j) at
                                   // head*headStride + window*windowStride + pos*posStride + j
    int64_t headStride = 0, windowStride = 0, posStride = 0;
};

struct QkNormRopeArgs {
    QkNormRopeTensor tensors[2];  // q and k (only tensors[0] when count == 1)
    int count = 2;
    const float* phases = nullptr;  // (L, d/2, 2) cos, sin per token and pair; null: no RoPE
    bool windowed = true;           // false: out is raster (L, D) row-major, the strides unused
    int64_t frames = 0, height = 0, width = 0;  // token grid (f, h, w), L = f*h*w
    int64_t dim = 0, headDim = 0;               // D = heads * d
    float eps = 1e-6f;
    bool bf16 = true;  // else fp16
};

// Checks the shapes (D % 8 == 0, d % 8 == 0, D / 8 ≤ 1024, a windowed grid divisible by (2, 8, 8))
// and
// launches; returns the launch error, cudaErrorInvalidValue for a bad shape.
cudaError_t launchQkNormRope(const QkNormRopeArgs& args, cudaStream_t stream);

}  // namespace fvs::gpu::kernels
