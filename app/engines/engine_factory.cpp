#include "engine_factory.h"

#include "fvs/core/option_table.h"
#include "fvs/core/resample_processor.h"

#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/flashvsr_processor.h"
#include "fvs/gpu/model_files.h"
#endif

namespace fvs::app {

std::vector<std::string> availableEngines() {
    std::vector<std::string> engines{"lanczos", "bicubic"};
#ifdef FVS_HAVE_TORCH
    engines.insert(engines.begin(), "flashvsr");
#endif
    return engines;
}

core::EngineAvailability engineAvailability(const std::string& modelsDir) {
    core::EngineAvailability available;
#ifdef FVS_HAVE_TORCH
    available.flashVsr = static_cast<bool>(gpu::findModelFolder(modelsDir));
#else
    (void)modelsDir;
#endif
    return available;
}

core::EngineKind defaultEngineKind(const std::string& modelsDir) {
    return core::defaultEngine(engineAvailability(modelsDir));
}

core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer) {
    if (auto st = core::validateEngineSettings(settings); !st)
        return st.error();
    switch (settings.engine) {
        case core::EngineKind::Lanczos:
        case core::EngineKind::Bicubic: {
            core::ResampleOptions options;
            options.kernel = settings.engine == core::EngineKind::Lanczos
                                 ? core::ResampleKernel::Lanczos3
                                 : core::ResampleKernel::Bicubic;
            options.scale = settings.scale;
            return std::unique_ptr<core::FrameProcessor>(
                std::make_unique<core::ResampleProcessor>(options));
        }
        case core::EngineKind::FlashVsr: {
#ifdef FVS_HAVE_TORCH
            // findModelFolder's error names the files needed, the folders searched and --engine
            // lanczos.
            auto folder = gpu::findModelFolder(settings.modelsDir);
            if (!folder)
                return folder.error();
            return gpu::createFlashVsrProcessor(settings, observer);
#else
            return core::makeError(
                core::ErrorCode::ModelError,
                "the FlashVSR engine is not built into this flashvsr (built without LibTorch); use "
                "--engine lanczos or --engine bicubic");
#endif
        }
        case core::EngineKind::RealEsrgan:
            break;
    }
    return core::makeError(core::ErrorCode::ModelError,
                           std::string("the ") + core::toString(settings.engine) +
                               " engine is not built into this flashvsr; use --engine lanczos");
}

}  // namespace fvs::app
