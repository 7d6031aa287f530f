#pragma once
// The FlashVSR FrameProcessor over a loaded model (engine-internal; FlashVsrEngine makes them).

#include <memory>

#include "engine/compute_executor.h"
#include "engine/flashvsr_model.h"
#include "engine/flashvsr_options.h"
#include "fvs/core/frame_processor.h"
#include "fvs/gpu/flashvsr_engine.h"

namespace fvs::gpu {

// A processor with its own stream (`options`) on `model`, tiled as `tiling` and the memory
// planner decide at configure(); its tensor work runs through `executor` in `role`'s turn.
std::unique_ptr<core::FrameProcessor> makeFlashVsrProcessor(
    const core::ScaleRequest& scale, std::shared_ptr<const FlashVsrModel> model,
    const StreamOptions& options, const TilingOptions& tiling,
    std::shared_ptr<ComputeExecutor> executor, ComputeRole role);

}  // namespace fvs::gpu
