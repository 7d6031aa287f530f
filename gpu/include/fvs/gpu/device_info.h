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
    bool cudaBuild = false;      // this build runs CUDA code (preset gpu/cuda)
    int cudaRuntimeVersion = 0;  // of the CUDA runtime in use, 1000·major + 10·minor; 0: none
    int cudaDriverVersion = 0;   // the newest CUDA the installed driver supports; 0: no driver
    int computeMajor = 0, computeMinor = 0;  // of the GPU in use (0: none)
};

DeviceInfo queryDevice();

// "13.0" from 13000; "none" from 0.
std::string cudaVersionText(int version);
// The oldest Linux NVIDIA driver branch that runs CUDA runtime `runtimeVersion` ("580" for 13.x,
// "525" for 12.x, "450" for 11.x); empty when unknown.
std::string minimumLinuxDriver(int runtimeVersion);

// What FlashVSR can do here, in words: whether it runs on the GPU in bf16, and if not why (no CUDA
// in this build, no GPU or driver, a driver older than the runtime — naming the driver branch
// needed —, a GPU without bf16), and what runs instead. `runs` is true when FlashVSR runs on the
// GPU.
struct FlashVsrSupport {
    bool runs = false;
    std::string summary;  // one sentence
};
FlashVsrSupport flashVsrSupport(const DeviceInfo& info);

}  // namespace fvs::gpu
