#include "qk_norm_rope.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace fvs::gpu::kernels {
namespace {

template <class T>
__device__ float toFloat(T v);
template <>
__device__ float toFloat(__nv_bfloat16 v) {
    return __bfloat162float(v);
}
template <>
__device__ float toFloat(__half v) {
    return __half2float(v);
}
template <class T>
__device__ T fromFloat(float v);
template <>
__device__ __nv_bfloat16 fromFloat(float v) {
    return __float2bfloat16_rn(v);
}
template <>
__device__ __half fromFloat(float v) {
    return __float2half_rn(v);
}

constexpr int kVec = 8;  // elements per thread: one 16-byte load

// One CTA per (token, tensor); D/8 threads, each 8 consecutive channels (4 rotary pairs of one
// head). Block-wide sum of squares in fp32.
template <class T>
__global__ void qkNormRopeKernel(QkNormRopeArgs args) {
    const QkNormRopeTensor& t = args.tensors[blockIdx.y];
    const int64_t token = blockIdx.x;
    const int c0 = threadIdx.x * kVec;
    const T* x = static_cast<const T*>(t.x) + token * args.dim;
    union Pack {
        uint4 raw;
        T v[kVec];
    };
    Pack in;
    in.raw = *reinterpret_cast<const uint4*>(x + c0);
    float f[kVec];
    float sq = 0.f;
#pragma unroll
    for (int i = 0; i < kVec; ++i) {
        f[i] = toFloat(in.v[i]);
        sq += f[i] * f[i];
    }
    // Block reduction: warps, then the first warp.
    __shared__ float warpSums[32];
    __shared__ float inverseRms;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        sq += __shfl_xor_sync(0xffffffffu, sq, offset);
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) {
        warpSums[warp] = sq;
    }
    __syncthreads();
    if (warp == 0) {
        const int warps = (blockDim.x + 31) >> 5;
        float s = lane < warps ? warpSums[lane] : 0.f;
#pragma unroll
        for (int offset = 16; offset > 0; offset >>= 1) {
            s += __shfl_xor_sync(0xffffffffu, s, offset);
        }
        if (lane == 0) {
            inverseRms = rsqrtf(s / static_cast<float>(args.dim) + args.eps);
        }
    }
    __syncthreads();
    const float r = inverseRms;
    Pack w;
    w.raw = *reinterpret_cast<const uint4*>(static_cast<const T*>(t.weight) + c0);
    // normed → activation dtype → × weight (rounded, as the reference's bf16 multiply).
    float y[kVec];
#pragma unroll
    for (int i = 0; i < kVec; ++i) {
        const float normed = toFloat(fromFloat<T>(f[i] * r));
        y[i] = toFloat(fromFloat<T>(normed * toFloat(w.v[i])));
    }
    const int head = c0 / static_cast<int>(args.headDim);
    const int j0 = c0 % static_cast<int>(args.headDim);
    Pack out;
    if (args.phases != nullptr) {
        const float* phase = args.phases + (token * (args.headDim / 2) + j0 / 2) * 2;
#pragma unroll
        for (int p = 0; p < kVec / 2; ++p) {
            const float cs = phase[2 * p], sn = phase[2 * p + 1];
            const float a = y[2 * p], b = y[2 * p + 1];
            out.v[2 * p] = fromFloat<T>(a * cs - b * sn);
            out.v[2 * p + 1] = fromFloat<T>(a * sn + b * cs);
        }
    } else {
#pragma unroll
        for (int i = 0; i < kVec; ++i) {
            out.v[i] = fromFloat<T>(y[i]);
        }
    }
    T* dst = static_cast<T*>(t.out) + token * args.dim + c0;
    if (args.windowed) {
        // Raster token (fr, yy, xx) → window (fr/2, yy/8, xx/8), position (fr%2, yy%8, xx%8).
        const int64_t hw = args.height * args.width;
        const int64_t fr = token / hw, yy = (token % hw) / args.width, xx = token % args.width;
        const int64_t window = ((fr / 2) * (args.height / 8) + yy / 8) * (args.width / 8) + xx / 8;
        const int64_t pos = ((fr % 2) * 8 + yy % 8) * 8 + xx % 8;
        dst = static_cast<T*>(t.out) + head * t.headStride + window * t.windowStride +
              pos * t.posStride + j0;
    }
    *reinterpret_cast<uint4*>(dst) = out.raw;
}

}  // namespace

cudaError_t launchQkNormRope(const QkNormRopeArgs& args, cudaStream_t stream) {
    const int64_t tokens = args.frames * args.height * args.width;
    const bool badGrid =
        args.windowed && (args.frames % 2 != 0 || args.height % 8 != 0 || args.width % 8 != 0);
    if (args.dim % kVec != 0 || args.headDim % kVec != 0 || args.dim / kVec > 1024 ||
        args.dim % args.headDim != 0 || badGrid || tokens <= 0 || tokens > 2147483647LL ||
        args.count < 1 || args.count > 2) {
        return cudaErrorInvalidValue;
    }
    for (int i = 0; i < args.count; ++i) {
        const auto& t = args.tensors[i];
        if (t.x == nullptr || t.weight == nullptr || t.out == nullptr) {
            return cudaErrorInvalidValue;
        }
    }
    const dim3 grid(static_cast<unsigned>(tokens), static_cast<unsigned>(args.count));
    const dim3 block(static_cast<unsigned>(args.dim / kVec));
    if (args.bf16) {
        qkNormRopeKernel<__nv_bfloat16><<<grid, block, 0, stream>>>(args);
    } else {
        qkNormRopeKernel<__half><<<grid, block, 0, stream>>>(args);
    }
    return cudaGetLastError();
}

}  // namespace fvs::gpu::kernels
