#pragma once
// Whether the fused CUDA kernels of gpu/kernels (built where nvcc is) are used. FVS_FUSED=0 keeps
// the torch-op paths they replace, for A/B measurements (docs/benchmarks.md).

#include <cstdlib>
#include <string>

namespace fvs::gpu {

inline bool fusedKernelsOff() {
    static const bool off = [] {
        const char* env = std::getenv("FVS_FUSED");
        return env != nullptr && std::string(env) == "0";
    }();
    return off;
}

}  // namespace fvs::gpu
