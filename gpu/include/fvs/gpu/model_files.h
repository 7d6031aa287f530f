#pragma once
// Locating and checking a FlashVSR model folder (torch-free: used by the CLI and the app).

#include <filesystem>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::gpu {

struct ModelFileStatus {
    std::string name;              // e.g. "LQ_proj_in.ckpt"
    bool present = false;
    bool required = true;          // Wan2.1_VAE.pth is required only for decoder=full
    std::string detail;            // size, version hint or the problem found
};

struct ModelFolderReport {
    std::filesystem::path folder;
    std::vector<ModelFileStatus> files;
    std::string version;           // "v1", "v1.1" or "" when unknown
    bool usable = false;           // everything required is there and consistent
    std::vector<std::string> problems;  // missing files, mixed versions, unreadable files
};

// Folders searched, in order: explicitDir (if given), $FLASHVSR_MODELS, $XDG_DATA_HOME/flashvsr-studio/models
// (~/.local/share/...), /usr/local/share/flashvsr-studio/models, /usr/share/flashvsr-studio/models.
std::vector<std::filesystem::path> modelSearchPaths(const std::filesystem::path& explicitDir = {});

ModelFolderReport checkModelFolder(const std::filesystem::path& folder);

// The first usable folder of modelSearchPaths(explicitDir); else a ModelError naming the files
// needed and the folders searched, suggesting --engine lanczos.
core::Result<ModelFolderReport> findModelFolder(const std::filesystem::path& explicitDir = {});

}  // namespace fvs::gpu
