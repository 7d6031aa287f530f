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
    info.cudaBuild = true;
    cudaRuntimeGetVersion(&info.cudaRuntimeVersion);
    cudaDriverGetVersion(&info.cudaDriverVersion);  // 0 without a driver
    if (info.cudaAvailable) {
        int device = 0;
        cudaDeviceProp props{};
        if (cudaGetDevice(&device) == cudaSuccess &&
            cudaGetDeviceProperties(&props, device) == cudaSuccess) {
            info.deviceName = props.name;
            info.computeMajor = props.major;
            info.computeMinor = props.minor;
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

std::string cudaVersionText(int version) {
    if (version <= 0) {
        return "none";
    }
    return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

std::string minimumLinuxDriver(int runtimeVersion) {
    switch (runtimeVersion / 1000) {
        case 13:
            return "580";
        case 12:
            return "525";
        case 11:
            return "450";
        default:
            return {};
    }
}

FlashVsrSupport flashVsrSupport(const DeviceInfo& info) {
    const std::string instead =
        "; Real-ESRGAN and Lanczos run on the CPU (FlashVSR on the CPU takes hours per minute "
        "of video)";
    if (!info.cudaBuild) {
        return {false, "this build has no CUDA: FlashVSR needs an NVIDIA GPU" + instead};
    }
    if (info.cudaDriverVersion == 0) {
        return {false, "no NVIDIA driver found: FlashVSR needs an NVIDIA GPU with driver " +
                           minimumLinuxDriver(info.cudaRuntimeVersion) + " or newer" + instead};
    }
    if (info.cudaRuntimeVersion > 0 && info.cudaDriverVersion < info.cudaRuntimeVersion) {
        const std::string branch = minimumLinuxDriver(info.cudaRuntimeVersion);
        return {false, "the NVIDIA driver supports CUDA " +
                           cudaVersionText(info.cudaDriverVersion) + ", older than the CUDA " +
                           cudaVersionText(info.cudaRuntimeVersion) +
                           " this build runs: install driver " +
                           (branch.empty() ? std::string("a newer driver") : branch + " or newer") +
                           instead};
    }
    if (!info.cudaAvailable) {
        return {false, "no CUDA GPU found" + instead};
    }
    const std::string sm =
        "sm_" + std::to_string(info.computeMajor) + std::to_string(info.computeMinor);
    if (info.computeMajor < 8) {
        return {false,
                info.deviceName + " (" + sm +
                    ") has no bf16: FlashVSR needs compute capability 8.0 (Ampere) or newer" +
                    instead};
    }
    return {true, "FlashVSR runs on " + info.deviceName + " (" + sm + ") in bf16"};
}

}  // namespace fvs::gpu
