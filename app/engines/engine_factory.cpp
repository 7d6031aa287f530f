#include "engine_factory.h"

#include <sstream>

#include "fvs/core/resample_processor.h"

#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/flashvsr_processor.h"
#include "fvs/gpu/model_files.h"
#endif

namespace fvs::app {

namespace {

#ifdef FVS_HAVE_TORCH
// The weights error must let the user act: which files, where we looked, what to use instead.
core::Error missingWeights(const core::EngineSettings& settings, const std::string& cause) {
    std::ostringstream msg;
    msg << "FlashVSR weights not found: " << cause << "\n"
        << "  needed: diffusion_pytorch_model_streaming_dmd.safetensors, LQ_proj_in.ckpt, "
           "TCDecoder.ckpt (and Wan2.1_VAE.pth for --decoder full)\n"
        << "  searched:";
    for (const auto& folder : gpu::modelSearchPaths(settings.modelsDir))
        msg << "\n    " << folder.string();
    msg << "\n  put the files in one of these folders, pass --models DIR or set FLASHVSR_MODELS;"
           " or use --engine lanczos (CPU, no weights needed)";
    return core::makeError(core::ErrorCode::ModelError, msg.str());
}
#endif

}  // namespace

std::vector<std::string> availableEngines() {
    std::vector<std::string> engines{"lanczos", "bicubic"};
#ifdef FVS_HAVE_TORCH
    engines.insert(engines.begin(), "flashvsr");
#endif
    return engines;
}

core::Result<std::unique_ptr<core::FrameProcessor>> createEngine(
    const core::EngineSettings& settings) {
    if (settings.engine == "lanczos" || settings.engine == "bicubic") {
        core::ResampleOptions options;
        options.kernel = settings.engine == "lanczos" ? core::ResampleKernel::Lanczos3
                                                      : core::ResampleKernel::Bicubic;
        options.scale = settings.scale;
        return std::unique_ptr<core::FrameProcessor>(
            std::make_unique<core::ResampleProcessor>(options));
    }
    if (settings.engine == "flashvsr") {
#ifdef FVS_HAVE_TORCH
        auto folder = gpu::findModelFolder(settings.modelsDir);
        if (!folder)
            return missingWeights(settings, folder.error().message);
        return gpu::createFlashVsrProcessor(settings);
#else
        return core::makeError(core::ErrorCode::ModelError,
                               "the FlashVSR engine is not built into this flashvsr (built without "
                               "LibTorch); use --engine lanczos or --engine bicubic");
#endif
    }
    return core::makeError(core::ErrorCode::InvalidArgument, "unknown engine '" + settings.engine +
                                                                 "' (available: lanczos, bicubic" +
#ifdef FVS_HAVE_TORCH
                                                                 std::string(", flashvsr") +
#endif
                                                                 ")");
}

}  // namespace fvs::app
