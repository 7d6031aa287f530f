#include "engine_factory.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "fvs/core/model_download.h"
#include "fvs/core/option_table.h"
#include "fvs/core/resample_processor.h"
#include "fvs/core/xdg_paths.h"

#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/flashvsr_engine.h"
#include "fvs/gpu/model_files.h"
#include "fvs/gpu/realesrgan.h"
#endif

namespace fvs::app {
namespace {

const char* nonEmptyEnv(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
}

}  // namespace

EngineEnvironment readEngineEnvironment() {
    EngineEnvironment env;
    const char* models = nonEmptyEnv("FLASHVSR_MODELS");
    env.modelSearchPaths =
        core::modelSearchPaths(models != nullptr ? models : "", core::appDataDirs());
    // The GPU scripts' knobs (packaging/gpu/bench_engine.sh): validated where they are applied.
    std::string overrides;
    auto add = [&](const char* key, const std::string& value) {
        overrides += (overrides.empty() ? "" : ",") + std::string(key) + "=" + value;
    };
    if (const char* v = nonEmptyEnv("FVS_ATTENTION"))
        add("attention", v);
    if (const char* v = nonEmptyEnv("FVS_GATHER_BUDGET_MB"))
        add("gather_budget_mb", std::to_string(std::max(64LL, std::atoll(v))));  // as before
    if (const char* v = nonEmptyEnv("FVS_OVERLAP"))
        add("overlap", std::string(v) == "0" ? "0" : "1");  // as before: anything but 0 is on
    if (std::getenv("FVS_PROFILE") != nullptr)
        add("profile", "1");  // as before: set at all means on
    // A fixed FlashVSR tile size (WxH, multiples of 128; `auto`, `off`) for the seam measurements
    // of packaging/gpu/tiling_check.sh.
    if (const char* v = nonEmptyEnv("FVS_TILE"))
        add("tile", v);
    // A/B switches of the CUDA speed paths (docs/benchmarks.md): "0" turns one off.
    for (const auto& [name, key] :
         {std::pair{"FVS_FOLD", "fold"}, std::pair{"FVS_DECODER_NHWC", "decoder_nhwc"},
          std::pair{"FVS_FUSED", "fused"}}) {
        if (const char* v = nonEmptyEnv(name))
            add(key, std::string(v) == "0" ? "0" : "1");
    }
    env.streamOverrides = overrides;
#ifdef FVS_HAVE_TORCH
    // Real-ESRGAN: extra weight folders (':'-separated) and the tile side (input pixels, >= 32;
    // 0 = whole frames) for tests and benchmarks.
    if (const char* v = nonEmptyEnv("FVS_REALESRGAN_MODELS")) {
        std::string list = v;
        for (size_t start = 0; start <= list.size();) {
            const size_t end = std::min(list.find(':', start), list.size());
            if (end > start)
                env.realEsrgan.extraSearchPaths.emplace_back(list.substr(start, end - start));
            start = end + 1;
        }
    }
    if (const char* v = nonEmptyEnv("FVS_REALESRGAN_TILE")) {
        const int tile = std::atoi(v);
        if (tile == 0 || tile >= 32)
            env.realEsrgan.tilePixels = tile;
    }
#endif
    return env;
}

std::vector<std::string> availableEngines() {
    std::vector<std::string> engines{"lanczos", "bicubic"};
#ifdef FVS_HAVE_TORCH
    engines.insert(engines.begin(), {"flashvsr", "realesrgan"});
#endif
    return engines;
}

Engines::Engines(EngineEnvironment environment) : m_environment(std::move(environment)) {
#ifdef FVS_HAVE_TORCH
    gpu::configureRealEsrgan(m_environment.realEsrgan);
    gpu::FlashVsrEngineConfig config;
    config.streamOverrides = m_environment.streamOverrides;
    m_flashVsr = std::make_unique<gpu::FlashVsrEngine>(config);
#endif
}

Engines::~Engines() = default;

#ifdef FVS_HAVE_TORCH
core::Result<gpu::ModelFolderReport> Engines::modelFolder(const std::string& modelsDir,
                                                          bool refresh) {
    {
        std::lock_guard lock(m_foldersMutex);
        if (auto it = m_folders.find(modelsDir); it != m_folders.end() && !refresh)
            return it->second;
    }
    // The error names the files needed, the folders searched and --engine lanczos.
    auto found = gpu::findModelFolder(modelsDir, m_environment.modelSearchPaths);
    std::lock_guard lock(m_foldersMutex);
    if (found)
        m_folders[modelsDir] = *found;
    else
        m_folders.erase(modelsDir);  // not remembered: the user may add the files
    return found;
}
#endif

core::EngineAvailability Engines::availability(const std::string& modelsDir) {
    core::EngineAvailability available;
#ifdef FVS_HAVE_TORCH
    available.flashVsr = static_cast<bool>(modelFolder(modelsDir));
    available.realEsrgan = gpu::realEsrganAvailable();
#else
    (void)modelsDir;
#endif
    return available;
}

core::EngineKind Engines::defaultEngine(const std::string& modelsDir) {
    return core::defaultEngine(availability(modelsDir));
}

core::Result<std::unique_ptr<core::FrameProcessor>> Engines::create(
    const core::EngineSettings& settings, EngineRole role,
    const core::EngineLoadObserver& observer) {
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
            auto folder = modelFolder(settings.modelsDir);
            if (!folder)
                return folder.error();
            return m_flashVsr->createProcessor(
                settings, *folder,
                role == EngineRole::Preview ? gpu::ComputeRole::Preview : gpu::ComputeRole::Export,
                observer);
#else
            (void)role;
            (void)observer;
            return core::makeError(
                core::ErrorCode::ModelError,
                "the FlashVSR engine is not built into this flashvsr (built without LibTorch); use "
                "--engine lanczos or --engine bicubic");
#endif
        }
        case core::EngineKind::RealEsrgan:
#ifdef FVS_HAVE_TORCH
            return gpu::createRealEsrganProcessor(settings);
#else
            break;
#endif
    }
    return core::makeError(core::ErrorCode::ModelError,
                           std::string("the ") + core::toString(settings.engine) +
                               " engine is not built into this flashvsr; use --engine lanczos");
}

}  // namespace fvs::app
