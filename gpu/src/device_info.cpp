#include "fvs/gpu/device_info.h"

#include <torch/torch.h>
#include <torch/version.h>

namespace fvs::gpu {

DeviceInfo queryDevice() {
    DeviceInfo info;
    info.torchVersion = TORCH_VERSION;
    info.cudaAvailable = torch::cuda::is_available();
    info.deviceName = info.cudaAvailable ? "CUDA device" : "CPU";
    return info;
}

}  // namespace fvs::gpu
