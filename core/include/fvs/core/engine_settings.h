#pragma once
// EngineSettings: what the user chose for the upscaling engine. Plain data shared by the CLI, the
// app, and persisted export jobs; app/engines turns it into a concrete FrameProcessor.

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "fvs/core/frame_processor.h"

namespace fvs::core {

struct EngineSettings {
    std::string engine = "flashvsr";  // "flashvsr", "lanczos", "bicubic"
    ScaleRequest scale;               // factor 4 by default
    // FlashVSR
    std::string modelsDir;         // empty: search FLASHVSR_MODELS and the documented folders
    std::string modelVersion;      // "v1", "v1.1"; empty: detect from the files
    std::string decoder = "tiny";  // "tiny" (TC decoder) or "full" (Wan 2.1 VAE)
    double sparseRatio = 2.0;
    double kvRatio = 3.0;
    int localRange = 11;
    std::string colorFix = "adain";  // "adain", "wavelet", "none"
    int64_t seed = 0;
    std::string dtype;   // "bf16", "fp32"; empty: bf16 on CUDA, fp32 on CPU
    std::string device;  // "cuda", "cuda:1", "cpu"; empty: CUDA when available
};

// Watches an engine being made: model loading reports its progress per file and stops early (the
// factory then returns ErrorCode::Cancelled) once `stop` is requested. Callbacks run on the thread
// that makes the engine.
struct EngineLoadObserver {
    std::function<void(const std::string& file, int64_t doneBytes, int64_t totalBytes)> progress;
    std::stop_token stop;
};

}  // namespace fvs::core
