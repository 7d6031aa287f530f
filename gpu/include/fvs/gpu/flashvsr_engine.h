#pragma once
// FlashVsrEngine: the FlashVSR side of the composition root (torch-free header). One per process,
// made by app/engines with the configuration it read once (the environment's stream overrides).
// It owns
// - the model cache: a model loaded for one ModelOptions (device, dtype, decoder, version) and
//   folder is kept and reused by the next processor with the same ones (the files of a batch, the
//   jobs of a queue, preview and export together); an unused model is released after
//   `idleRelease`, or at once when a model for other options must be loaded (memory pressure);
// - one compute executor per device: every processor of the engine runs its tensor work through
//   it, one piece at a time; a preview yields to a running export and resumes after it.
// Thread-safe: processors may be made from any thread; each processor is owned by one thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"
#include "fvs/gpu/model_files.h"

namespace fvs::gpu {

// Who a processor works for, which decides its turn on the device.
enum class ComputeRole { Export, Preview };

struct FlashVsrEngineConfig {
    // "key=value,..." stream knobs applied over every processor's settings (attention,
    // gather_budget_mb, overlap, profile: see FlashVsrOptions::applyKeyValues); app/ fills it from
    // the environment (FVS_ATTENTION, ...) once.
    std::string streamOverrides;
    std::chrono::milliseconds idleRelease{std::chrono::minutes(2)};
};

// The memory plan for one request (`flashvsr upscale --plan`, docs/engine.md "Tiling").
struct FlashVsrPlanTile {
    int64_t x = 0, y = 0, width = 0, height = 0;                          // output window
    int64_t sourceX = 0, sourceY = 0, sourceWidth = 0, sourceHeight = 0;  // source pixels read
};
struct FlashVsrPlanReport {
    enum class Kind { WholeFrame, Tiles, TooLarge };
    Kind kind = Kind::WholeFrame;
    int64_t width = 0, height = 0;  // output
    int64_t columns = 1, rows = 1, tileWidth = 0, tileHeight = 0, overlap = 0;
    bool parkIdleTiles = false;  // idle tiles' state in host memory between their chunks
    int64_t neededBytes = 0;     // the sessions' estimate
    int64_t availableBytes = 0;  // for the sessions (0: no limit)
    int64_t weightBytes = 0, freeBytes = 0, budgetBytes = 0;
    int64_t runtimeBytes = 0;  // the CUDA runtime's share of a budget (kCudaRuntimeBytes)
    std::string device;        // "cpu", "cuda"
    std::string summary;       // one line
    std::vector<FlashVsrPlanTile> tiles;
};
const char* toString(FlashVsrPlanReport::Kind kind);  // "whole-frame", "tiles", "too-large"

struct FlashVsrEngineStats {
    int64_t modelLoads = 0;    // FlashVsrModel loads so far
    int64_t modelsCached = 0;  // models held now (in use or idle)
    int64_t previewWaits = 0;  // preview work that waited for an export, all devices
};

class FlashVsrEngine {
public:
    explicit FlashVsrEngine(FlashVsrEngineConfig config = {});
    ~FlashVsrEngine();
    FlashVsrEngine(const FlashVsrEngine&) = delete;
    FlashVsrEngine& operator=(const FlashVsrEngine&) = delete;

    // A streaming processor for `settings` on the already checked model folder `folder` (its
    // version and report come from the one search the caller made). Loads the model unless it is
    // cached; `observer` sees the loading and can cancel it (ErrorCode::Cancelled).
    core::Result<std::unique_ptr<core::FrameProcessor>> createProcessor(
        const core::EngineSettings& settings, const ModelFolderReport& folder, ComputeRole role,
        const core::EngineLoadObserver& observer = {});

    // What a processor for `settings` would do at width×height output (resampled from
    // sourceWidth×sourceHeight), without loading the weights: the DiT's sizes come from its
    // header, the weights are counted as not loaded yet.
    core::Result<FlashVsrPlanReport> plan(const core::EngineSettings& settings,
                                          const ModelFolderReport& folder, int64_t width,
                                          int64_t height, int64_t sourceWidth,
                                          int64_t sourceHeight) const;

    // Drops every cached model no processor uses (e.g. before a large allocation elsewhere).
    void releaseUnusedModels();
    FlashVsrEngineStats stats() const;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl;
};

}  // namespace fvs::gpu
