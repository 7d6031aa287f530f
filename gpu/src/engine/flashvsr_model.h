#pragma once
// FlashVsrModel: the weights, loaded once and shared by every stream (immutable after load:
// forward passes write no member, so streams on several threads may share it).
// Files are the official release files (spec §1.1); loading is strict via loadStateDict.

#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include <torch/torch.h>

#include "engine/flashvsr_options.h"
#include "fvs/core/result.h"
#include "fvs/gpu/model_files.h"
#include "model/lq_projector.h"
#include "model/tc_decoder.h"
#include "model/wan_dit.h"
#include "model/wan_vae_decoder.h"

namespace fvs::gpu {

// Reduced test folders (tests/data/parity/e2e_v11) describe themselves in this file.
inline constexpr const char* kConfigFile = "flashvsr_config.json";

class FlashVsrModel {
public:
    using Progress = std::function<void(const std::string& file, int64_t done, int64_t total)>;

    // Loads from `folder` for `options` (device, dtype, decoder, version). The version is taken
    // from the files (flashvsr_config.json, else the folder report); an explicit options.version
    // that contradicts it is refused (v1 code with v1.1 weights causes ghosting). A stop request
    // ends the load at the next progress report with ErrorCode::Cancelled.
    static core::Result<std::shared_ptr<FlashVsrModel>> load(const ModelFolderReport& folder,
                                                             const ModelOptions& options,
                                                             const Progress& progress = {},
                                                             std::stop_token stop = {});
    // Same for a folder not checked yet (debug tools, tests): checks it first.
    static core::Result<std::shared_ptr<FlashVsrModel>> load(const std::filesystem::path& folder,
                                                             const ModelOptions& options,
                                                             const Progress& progress = {},
                                                             std::stop_token stop = {});

    const ModelOptions& options() const { return m_options; }  // version filled in
    const std::filesystem::path& folder() const { return m_folder; }
    // Modules are logically const after load; forward() needs non-const access in LibTorch.
    WanDit& dit() const { return m_dit; }
    LqProjector& lqProjector() const { return m_lqProjector; }
    TcDecoder& tcDecoder() const { return m_tcDecoder; }        // decoder == Tiny
    WanVaeDecoder& vaeDecoder() const { return m_vaeDecoder; }  // decoder == Full
    int64_t parameterBytes() const { return m_parameterBytes; }

private:
    ModelOptions m_options;
    std::filesystem::path m_folder;
    mutable WanDit m_dit{nullptr};
    mutable LqProjector m_lqProjector{nullptr};
    mutable TcDecoder m_tcDecoder{nullptr};
    mutable WanVaeDecoder m_vaeDecoder{nullptr};
    int64_t m_parameterBytes = 0;
};

}  // namespace fvs::gpu
