#pragma once
// What the compute backend offers here (for `flashvsr --version` and the app's status line).
// Torch-free header: other modules include it without pulling LibTorch.

#include <cstdint>
#include <string>

namespace fvs::gpu {

struct DeviceInfo {
    std::string torchVersion;
    bool cudaAvailable = false;
    std::string deviceName;  // "NVIDIA H100 80GB HBM3" or "CPU"
    int64_t totalMemoryBytes = 0;
    int64_t freeMemoryBytes = 0;
};

DeviceInfo queryDevice();

}  // namespace fvs::gpu
