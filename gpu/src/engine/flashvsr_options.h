#pragma once
// FlashVsrOptions: every knob of the engine in one struct with the official defaults (spec §6).

#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "model/color_fix.h"
#include "fvs/core/engine_settings.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

enum class DecoderKind { Tiny, Full };

struct FlashVsrOptions {
    std::string version;  // "v1", "v1.1"; empty: detected from the model folder
    DecoderKind decoder = DecoderKind::Tiny;
    double scale = 4.0;        // any factor; 4 is what the model was trained for
    double sparseRatio = 2.0;  // topk_ratio = sparse_ratio*768*1280/(H*W)
    double kvRatio = 3.0;      // KV cache keeps int(kv_ratio) temporal groups
    int64_t localRange = 11;   // LCSA local window in blocks
    ColorFixMethod colorFix = ColorFixMethod::AdaIn;
    int64_t seed = 0;
    torch::Dtype dtype = torch::kFloat32;
    torch::Device device = torch::kCPU;

    int64_t kvGroups() const { return static_cast<int64_t>(kvRatio); }

    // From the user's settings; the device defaults to CUDA when available, the dtype to bf16 on
    // CUDA and fp32 on the CPU. Bad values are InvalidArgument errors.
    static core::Result<FlashVsrOptions> fromSettings(const core::EngineSettings& settings);
    // Applies "key=value,key=value" (keys: version, decoder, scale, sparse_ratio, kv_ratio,
    // local_range, color_fix, seed, dtype, device).
    core::Status applyKeyValues(const std::string& list);
    std::string describe() const;
};

}  // namespace fvs::gpu
