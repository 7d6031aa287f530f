#pragma once
// The LCSA mask threshold (spec §3.3): for each row of block probabilities, its (k+1)-th largest
// value, exactly (the value a descending sort puts at index k; ties counted). A radix select on
// the float bits, one CTA per row with the row in shared memory — instead of a full sort or
// torch::kthvalue over rows of tens of thousands of entries. Torch-free.

#include <cstdint>

#include <cuda_runtime_api.h>

namespace fvs::gpu::kernels {

// probs (rows, n) fp32 row-major, every value ≥ 0 (softmax outputs); k in [0, n). Writes
// threshold (rows) fp32. cudaErrorInvalidValue for a bad shape.
cudaError_t launchLcsaThreshold(const float* probs, int64_t rows, int64_t n, int64_t k,
                                float* threshold, cudaStream_t stream);

}  // namespace fvs::gpu::kernels
