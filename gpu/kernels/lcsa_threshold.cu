#include "lcsa_threshold.h"

namespace fvs::gpu::kernels {
namespace {

constexpr int kThreads = 1024;
constexpr int kBins = 256;

// Non-negative floats order like their bit patterns as unsigned integers, so the (k+1)-th
// largest value is found digit by digit, 8 bits at a time from the top: each pass counts the
// candidates (those matching the digits chosen so far) per next digit and keeps the digit whose
// cumulative count from the top passes the remaining rank.
__global__ void lcsaThresholdKernel(const float* probs, int64_t n, int64_t k, float* threshold,
                                    bool rowInShared) {
    extern __shared__ unsigned int row[];
    __shared__ unsigned int hist[kBins];
    __shared__ unsigned int prefix, prefixMask, remaining;
    const unsigned int* src = reinterpret_cast<const unsigned int*>(probs) + blockIdx.x * n;
    if (rowInShared) {
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            row[i] = src[i];
        }
        src = row;
    }
    if (threadIdx.x == 0) {
        prefix = 0;
        prefixMask = 0;
        remaining = static_cast<unsigned int>(k);
    }
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < kBins; b += blockDim.x) {
            hist[b] = 0;
        }
        __syncthreads();
        const unsigned int p = prefix, m = prefixMask;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            const unsigned int u = src[i];
            if ((u & m) == p) {
                atomicAdd(&hist[(u >> shift) & 0xffu], 1u);
            }
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            unsigned int above = 0;
            for (int b = kBins - 1; b >= 0; --b) {
                if (above + hist[b] > remaining) {
                    remaining -= above;
                    prefix |= static_cast<unsigned int>(b) << shift;
                    prefixMask |= 0xffu << shift;
                    break;
                }
                above += hist[b];
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        threshold[blockIdx.x] = __uint_as_float(prefix);
    }
}

}  // namespace

cudaError_t launchLcsaThreshold(const float* probs, int64_t rows, int64_t n, int64_t k,
                                float* threshold, cudaStream_t stream) {
    if (probs == nullptr || threshold == nullptr || rows <= 0 || rows > 2147483647LL || n <= 0 ||
        k < 0 || k >= n || n > 0xffffffffLL) {
        return cudaErrorInvalidValue;
    }
    // The row in shared memory when it fits (the device's opt-in limit: 99..227 KB), else read
    // from global memory (L2) in each of the four passes.
    int device = 0, maxShared = 48 * 1024;
    if (cudaGetDevice(&device) == cudaSuccess) {
        cudaDeviceGetAttribute(&maxShared, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
    }
    const size_t rowBytes = static_cast<size_t>(n) * sizeof(float);
    const bool inShared = rowBytes + 2048 <= static_cast<size_t>(maxShared);
    const size_t shared = inShared ? rowBytes : 0;
    // The launch needs the opt-in whenever dynamic plus static shared memory (the histogram and
    // three words) passes the default 48 KB: a row of 47.0..48 KB alone fits, both do not (a
    // 1408x640 tile's 12,100-float rows failed with "invalid argument" on the H200).
    constexpr size_t kStaticShared = (kBins + 3) * sizeof(unsigned int);
    if (shared > 0 && shared + kStaticShared > 48 * 1024) {
        const cudaError_t e =
            cudaFuncSetAttribute(lcsaThresholdKernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(shared));
        if (e != cudaSuccess) {
            return e;
        }
    }
    lcsaThresholdKernel<<<static_cast<unsigned>(rows), kThreads, shared, stream>>>(
        probs, n, k, threshold, inShared);
    return cudaGetLastError();
}

}  // namespace fvs::gpu::kernels
