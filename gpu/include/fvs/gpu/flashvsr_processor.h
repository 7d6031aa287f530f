#pragma once
// The FlashVSR engine as a core::FrameProcessor (torch-free header).

#include <memory>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

// Finds and loads the model (shared, loaded once per settings) and returns a streaming processor.
// Missing weights: a ModelError naming the files needed and the folders searched. `observer` gets
// the loading progress and can cancel it (ErrorCode::Cancelled).
core::Result<std::unique_ptr<core::FrameProcessor>> createFlashVsrProcessor(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer = {});

}  // namespace fvs::gpu
