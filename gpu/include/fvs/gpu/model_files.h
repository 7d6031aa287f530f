#pragma once
// Locating and checking a FlashVSR model folder (torch-free: used by the CLI and the app).
// docs/models.md describes the folder layout, the search order and version detection.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::gpu {

// The release file names (spec §1.1). posi_prompt.pth comes from the GitHub repository, the others
// from the Hugging Face repository of the chosen version.
inline constexpr const char* kDitFile = "diffusion_pytorch_model_streaming_dmd.safetensors";
inline constexpr const char* kLqProjFile = "LQ_proj_in.ckpt";
inline constexpr const char* kTcDecoderFile = "TCDecoder.ckpt";
inline constexpr const char* kVaeFile = "Wan2.1_VAE.pth";
inline constexpr const char* kPromptFile = "posi_prompt.pth";
// Optional marker we document: one line, "v1" or "v1.1".
inline constexpr const char* kVersionFile = "flashvsr_version.txt";
// Present only in reduced test models (tests/data/parity): hyper-parameters that weight shapes do
// not give (num_heads, version). Shapes are then checked by the engine's strict load only.
inline constexpr const char* kReducedConfigFile = "flashvsr_config.json";

struct ModelFileStatus {
    std::string name;  // e.g. "LQ_proj_in.ckpt"
    bool present = false;
    bool required = true;  // Wan2.1_VAE.pth is required only for decoder=full
    std::string detail;    // size, version hint or the problem found
    uint64_t sizeBytes = 0;
    bool valid = false;  // present and every expected key has the expected shape
};

struct ModelFolderReport {
    std::filesystem::path folder;
    std::vector<ModelFileStatus> files;
    std::string version;             // "v1", "v1.1" or "" when unknown
    std::string versionSource;       // what the version was read from, e.g. "flashvsr_version.txt"
    bool usable = false;             // everything required is there and consistent
    bool fullDecoderUsable = false;  // usable and Wan2.1_VAE.pth is valid too (decoder=full)
    std::vector<std::string> problems;  // missing files, mixed versions, unreadable files
};

// The folders searched when none is given, in order: each entry of `modelsPathList` (the value of
// $FLASHVSR_MODELS, ':'-separated, read by app/), then <dir>/models for each of `appDataDirs`
// (core::appDataDirs(): $XDG_DATA_HOME/flashvsr-studio, then each $XDG_DATA_DIRS entry's).
// Pure: reads no environment.
std::vector<std::filesystem::path> modelSearchPaths(
    const std::string& modelsPathList, const std::vector<std::filesystem::path>& appDataDirs);

// Reads only headers and pickles (no weights): cheap even for the 5.7 GB DiT.
ModelFolderReport checkModelFolder(const std::filesystem::path& folder);

// With explicitDir: that folder, and only it (no silent fallback to another folder). Without: the
// first usable folder of `searchPaths` (modelSearchPaths()). Else a ModelError naming the files
// needed and the folders searched (with what each lacks), suggesting --engine lanczos.
core::Result<ModelFolderReport> findModelFolder(
    const std::filesystem::path& explicitDir,
    const std::vector<std::filesystem::path>& searchPaths);

}  // namespace fvs::gpu
