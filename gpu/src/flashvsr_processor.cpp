// Stub until the engine lands (issue #3 §3).
#include "fvs/gpu/flashvsr_processor.h"

namespace fvs::gpu {

core::Result<std::unique_ptr<core::FrameProcessor>> createFlashVsrProcessor(
    const core::EngineSettings& settings) {
    return core::makeError(core::ErrorCode::ModelError,
                           "the FlashVSR engine is not built yet; use --engine lanczos");
}

}  // namespace fvs::gpu
