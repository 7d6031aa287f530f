#pragma once
// Builds a FrameProcessor from EngineSettings. The only code that knows every engine type.

#include <memory>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

namespace fvs::app {

// Engines compiled into this build ("flashvsr" only when built with LibTorch).
std::vector<std::string> availableEngines();

// What could run here: FlashVSR when this build has it and its weights are found in `modelsDir`
// (empty: the documented folders).
core::EngineAvailability engineAvailability(const std::string& modelsDir);
// core::defaultEngine() of engineAvailability(): the default of the CLI, the app and the queue.
core::EngineKind defaultEngineKind(const std::string& modelsDir);

// `observer` sees the model loading (FlashVSR) and can cancel it; the other engines load nothing.
core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer = {});

}  // namespace fvs::app
