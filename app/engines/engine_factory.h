#pragma once
// Engines: builds a FrameProcessor from EngineSettings. The only code that knows every engine
// type, and the one place the engines' configuration is read: readEngineEnvironment() at start-up
// (the model search path and the diagnostics knobs), handed in here and passed down from here.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/result.h"

#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/flashvsr_engine.h"
#include "fvs/gpu/model_files.h"
#include "fvs/gpu/realesrgan.h"
#endif

namespace fvs::app {

struct EngineEnvironment {
    // $FLASHVSR_MODELS entries, then the XDG data folders' flashvsr-studio/models.
    std::vector<std::filesystem::path> modelSearchPaths;
    // FVS_ATTENTION, FVS_GATHER_BUDGET_MB, FVS_OVERLAP, FVS_PROFILE, FVS_TILE as
    // "attention=gather,...":
    // FlashVSR stream options for every engine of the process (benchmarks, diagnostics).
    std::string streamOverrides;
#ifdef FVS_HAVE_TORCH
    gpu::RealEsrganEnvironment realEsrgan;  // FVS_REALESRGAN_MODELS, FVS_REALESRGAN_TILE
#endif
};
// Reads the environment (once, at the composition root).
EngineEnvironment readEngineEnvironment();

// Who the engine works for: an export goes first on a shared device, a preview yields to it.
enum class EngineRole { Export, Preview };

// Engines compiled into this build ("flashvsr" and "realesrgan" only when built with LibTorch).
std::vector<std::string> availableEngines();

// One per process. Keeps what engines share: the FlashVSR model cache (a batch's files and a
// queue's jobs reuse one loaded model), one compute executor per device and the model folder
// found for each --models value (searched once). Thread-safe.
class Engines {
public:
    explicit Engines(EngineEnvironment environment);
    ~Engines();
    Engines(const Engines&) = delete;
    Engines& operator=(const Engines&) = delete;

    const EngineEnvironment& environment() const { return m_environment; }

    // What could run here: FlashVSR when this build has it and its weights are found for
    // `modelsDir` (empty: the search path).
    core::EngineAvailability availability(const std::string& modelsDir);
    // core::defaultEngine() of availability(): the default of the CLI, the app and the queue.
    core::EngineKind defaultEngine(const std::string& modelsDir);

    // `observer` sees the model loading (FlashVSR) and can cancel it; the other engines load
    // nothing.
    core::Result<std::unique_ptr<core::FrameProcessor>> create(
        const core::EngineSettings& settings, EngineRole role = EngineRole::Export,
        const core::EngineLoadObserver& observer = {});

#ifdef FVS_HAVE_TORCH
    // The model folder for `modelsDir` (empty: the first usable one of the search path), with its
    // version and check report. A found folder is remembered; `refresh` checks it again.
    core::Result<gpu::ModelFolderReport> modelFolder(const std::string& modelsDir,
                                                     bool refresh = false);
    gpu::FlashVsrEngine& flashVsr() {
        return *m_flashVsr;
    }
#endif

private:
    EngineEnvironment m_environment;
#ifdef FVS_HAVE_TORCH
    std::unique_ptr<gpu::FlashVsrEngine> m_flashVsr;
    std::mutex m_foldersMutex;
    std::map<std::string, gpu::ModelFolderReport> m_folders;
#endif
};

}  // namespace fvs::app
