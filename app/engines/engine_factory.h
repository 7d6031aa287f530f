#pragma once
// Builds a FrameProcessor from EngineSettings. The only code that knows every engine type.

#include <memory>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

namespace fvs::app {

// Engines compiled into this build ("flashvsr" and "realesrgan" only when built with LibTorch).
std::vector<std::string> availableEngines();

// The engine a user gets without choosing one: FlashVSR when its weights are found (in
// `modelsDir` if given, else on the search path), else Real-ESRGAN when its weights are
// installed, else Lanczos.
std::string defaultEngine(const std::string& modelsDir = {});

// `observer` sees the model loading (FlashVSR) and can cancel it; the other engines load nothing.
core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer = {});

}  // namespace fvs::app
