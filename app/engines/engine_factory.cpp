#include "engine_factory.h"

namespace fvs::app {

std::vector<std::string> availableEngines() {
    std::vector<std::string> engines{"lanczos", "bicubic"};
#ifdef FVS_HAVE_TORCH
    engines.insert(engines.begin(), "flashvsr");
#endif
    return engines;
}

core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(const core::EngineSettings& settings) {
    // TODO(#2): lanczos/bicubic via core::ResampleProcessor; TODO(#3): flashvsr via gpu.
    return core::makeError(core::ErrorCode::Unsupported, "engine not available: " + settings.engine);
}

}  // namespace fvs::app
