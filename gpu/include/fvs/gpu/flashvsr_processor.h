#pragma once
// The FlashVSR engine as a core::FrameProcessor (torch-free header), for callers without a
// composition root (tests of the pipeline). Applications use FlashVsrEngine (flashvsr_engine.h).

#include <memory>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

namespace fvs::gpu {

// Checks settings.modelsDir (required: no search here) and returns an export processor from a
// process-wide FlashVsrEngine with default configuration. Missing weights: a ModelError naming
// the files needed. `observer` gets the loading progress and can cancel it.
core::Result<std::unique_ptr<core::FrameProcessor>> createFlashVsrProcessor(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer = {});

}  // namespace fvs::gpu
