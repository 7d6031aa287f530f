#pragma once
// `flashvsr debug run`: the streaming engine on prepared tensors, for comparison with the official
// implementation (docs/parity.md describes the file formats). Torch-free header.

#include <cstdint>
#include <string>

#include "fvs/core/result.h"

namespace fvs::gpu {

struct DebugRunRequest {
    std::string modelsDir;
    std::string framesPath;  // IN.safetensors: input.lq (1,3,F,H,W) or input.lr_uint8 (N,h,w,3)
    std::string noisePath;   // optional NOISE.safetensors: input.noise (1,16,L,H/8,W/8)
    std::string options;     // "k=v,..." (FlashVsrOptions keys)
    std::string outPath;     // OUT.safetensors
    bool taps = false;       // also write intermediate tensors (tap.*)
};

struct DebugRunSummary {
    int64_t inputFrames = 0;
    int64_t outputFrames = 0;
    int64_t chunks = 0;
    int64_t emptyQueryBlocks = 0;
    int64_t tapCount = 0;
    double seconds = 0.0;
};

core::Result<DebugRunSummary> runFlashVsrDebug(const DebugRunRequest& request);

}  // namespace fvs::gpu
