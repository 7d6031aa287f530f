#include "fvs/gpu/flashvsr_engine.h"

#include <map>
#include <mutex>

#include "engine/compute_executor.h"
#include "engine/flashvsr_options.h"
#include "engine/flashvsr_processor.h"
#include "engine/memory_plan.h"
#include "engine/model_cache.h"
#include "fvs/gpu/flashvsr_processor.h"

namespace fvs::gpu {

struct FlashVsrEngine::Impl {
    FlashVsrEngineConfig config;
    std::shared_ptr<ModelCache> models;
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<ComputeExecutor>> executors;  // by device

    std::shared_ptr<ComputeExecutor> executorFor(const torch::Device& device) {
        // "cuda" and "cuda:0" are one device.
        std::string name = device.str();
        if (device.is_cuda() && !device.has_index()) {
            name = "cuda:0";
        }
        std::lock_guard lock(mutex);
        auto& executor = executors[name];
        if (!executor) {
            executor = std::make_shared<ComputeExecutor>();
        }
        return executor;
    }
};

FlashVsrEngine::FlashVsrEngine(FlashVsrEngineConfig config) : m_impl(std::make_shared<Impl>()) {
    m_impl->models = std::make_shared<ModelCache>(config.idleRelease);
    m_impl->config = std::move(config);
}

FlashVsrEngine::~FlashVsrEngine() = default;

core::Result<std::unique_ptr<core::FrameProcessor>> FlashVsrEngine::createProcessor(
    const core::EngineSettings& settings, const ModelFolderReport& folder, ComputeRole role,
    const core::EngineLoadObserver& observer) {
    auto options = FlashVsrOptions::fromSettings(settings);
    if (!options) {
        return options.error();
    }
    if (auto st = options->applyKeyValues(m_impl->config.streamOverrides); !st) {
        return core::makeError(
            st.error().code,
            "engine overrides '" + m_impl->config.streamOverrides + "': " + st.error().message);
    }
    try {
        auto model =
            m_impl->models->acquire(folder, options->model, observer.progress, observer.stop);
        if (!model) {
            return model.error();
        }
        auto executor = m_impl->executorFor((*model)->options().device);
        return makeFlashVsrProcessor(settings.scale, *model, options->stream, options->tiling,
                                     executor, role);
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::Internal,
                               std::string("FlashVSR: ") + e.what_without_backtrace());
    }
}

core::Result<FlashVsrPlanReport> FlashVsrEngine::plan(const core::EngineSettings& settings,
                                                      const ModelFolderReport& folder,
                                                      int64_t width, int64_t height,
                                                      int64_t sourceWidth,
                                                      int64_t sourceHeight) const {
    auto options = FlashVsrOptions::fromSettings(settings);
    if (!options) {
        return options.error();
    }
    if (auto st = options->applyKeyValues(m_impl->config.streamOverrides); !st) {
        return st.error();
    }
    try {
        return planReport(*options, folder, width, height, sourceWidth, sourceHeight);
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::Internal,
                               std::string("FlashVSR: ") + e.what_without_backtrace());
    }
}

void FlashVsrEngine::releaseUnusedModels() {
    m_impl->models->releaseUnused();
}

FlashVsrEngineStats FlashVsrEngine::stats() const {
    FlashVsrEngineStats s;
    s.modelLoads = m_impl->models->loads();
    s.modelsCached = m_impl->models->cached();
    std::lock_guard lock(m_impl->mutex);
    for (const auto& [device, executor] : m_impl->executors) {
        s.previewWaits += executor->previewWaits();
    }
    return s;
}

core::Result<std::unique_ptr<core::FrameProcessor>> createFlashVsrProcessor(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer) {
    if (settings.modelsDir.empty()) {
        return core::makeError(core::ErrorCode::InvalidArgument,
                               "createFlashVsrProcessor needs settings.modelsDir");
    }
    auto folder = findModelFolder(settings.modelsDir, {});
    if (!folder) {
        return folder.error();
    }
    // Never destroyed: its models must not outlive LibTorch's own statics at exit.
    static auto* engine = new FlashVsrEngine();
    return engine->createProcessor(settings, *folder, ComputeRole::Export, observer);
}

}  // namespace fvs::gpu
