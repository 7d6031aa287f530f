#include "engine_factory.h"

#include "fvs/core/resample_processor.h"

#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/flashvsr_processor.h"
#include "fvs/gpu/model_files.h"
#include "fvs/gpu/realesrgan.h"
#endif

namespace fvs::app {

std::vector<std::string> availableEngines() {
    std::vector<std::string> engines{"lanczos", "bicubic"};
#ifdef FVS_HAVE_TORCH
    engines.insert(engines.begin(), {"flashvsr", "realesrgan"});
#endif
    return engines;
}

std::string defaultEngine(const std::string& modelsDir) {
#ifdef FVS_HAVE_TORCH
    if (gpu::findModelFolder(modelsDir))
        return "flashvsr";
    if (gpu::realEsrganAvailable())
        return "realesrgan";
#else
    (void)modelsDir;
#endif
    return "lanczos";
}

core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer) {
    if (settings.engine == "lanczos" || settings.engine == "bicubic") {
        core::ResampleOptions options;
        options.kernel = settings.engine == "lanczos" ? core::ResampleKernel::Lanczos3
                                                      : core::ResampleKernel::Bicubic;
        options.scale = settings.scale;
        return std::unique_ptr<core::FrameProcessor>(
            std::make_unique<core::ResampleProcessor>(options));
    }
    if (settings.engine == "flashvsr" || settings.engine == "realesrgan") {
#ifdef FVS_HAVE_TORCH
        if (settings.engine == "realesrgan")
            return gpu::createRealEsrganProcessor(settings);
        // findModelFolder's error names the files needed, the folders searched and --engine
        // lanczos.
        auto folder = gpu::findModelFolder(settings.modelsDir);
        if (!folder)
            return folder.error();
        return gpu::createFlashVsrProcessor(settings, observer);
#else
        return core::makeError(core::ErrorCode::ModelError,
                               "the " + settings.engine +
                                   " engine is not built into this flashvsr (built without "
                                   "LibTorch); use --engine lanczos or --engine bicubic");
#endif
    }
    return core::makeError(core::ErrorCode::InvalidArgument,
                           "unknown engine '" + settings.engine + "' (available: lanczos, bicubic" +
#ifdef FVS_HAVE_TORCH
                               std::string(", flashvsr, realesrgan") +
#endif
                               ")");
}

}  // namespace fvs::app
