#include "fvs/gpu/device_info.h"

#include <torch/torch.h>
#include <torch/version.h>

#ifdef FVS_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace fvs::gpu {

DeviceInfo queryDevice() {
    DeviceInfo info;
    info.torchVersion = TORCH_VERSION;
    info.cudaAvailable = torch::cuda::is_available();
    info.deviceName = "CPU";
#ifdef FVS_HAVE_CUDA
    if (info.cudaAvailable) {
        int device = 0;
        cudaDeviceProp props{};
        if (cudaGetDevice(&device) == cudaSuccess &&
            cudaGetDeviceProperties(&props, device) == cudaSuccess) {
            info.deviceName = props.name;
        }
        size_t freeBytes = 0, totalBytes = 0;
        if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) {
            info.freeMemoryBytes = static_cast<int64_t>(freeBytes);
            info.totalMemoryBytes = static_cast<int64_t>(totalBytes);
        }
    }
#endif
    return info;
}

}  // namespace fvs::gpu
