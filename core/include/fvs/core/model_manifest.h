#pragma once
// The manifest a model download leaves in its folder (flashvsr-download.json): which repository
// and commit the files came from and each file's size and SHA-256. `models verify` re-hashes the
// files against it; `models remove` deletes exactly the files it lists (and their .part files),
// nothing else. Thread contract: free functions; callers serialise access to one folder.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::core {

// The release file names (the same as fvs/gpu/model_files.h, which the loader uses).
inline constexpr const char* kModelDitFile = "diffusion_pytorch_model_streaming_dmd.safetensors";
inline constexpr const char* kModelLqProjFile = "LQ_proj_in.ckpt";
inline constexpr const char* kModelTcDecoderFile = "TCDecoder.ckpt";
inline constexpr const char* kModelVaeFile = "Wan2.1_VAE.pth";
inline constexpr const char* kModelPromptFile = "posi_prompt.pth";
inline constexpr const char* kModelVersionFile = "flashvsr_version.txt";
inline constexpr const char* kModelManifestFile = "flashvsr-download.json";

// Whether `name` is one of the files a manifest may list (the five release files and the version
// marker): a manifest naming anything else is refused, so `remove` cannot be steered elsewhere.
bool isModelFileName(const std::string& name);

struct ModelManifestFile {
    std::string name;
    uint64_t sizeBytes = 0;
    std::string sha256;     // of the file as verified (hex)
    std::string source;     // the URL it came from ("" for the version marker we wrote)
    bool complete = false;  // false: planned, its NAME.part may exist
};

struct ModelManifest {
    std::string version;       // "v1" or "v1.1"
    std::string repo;          // JunhaoZhuang/FlashVSR-v1.1
    std::string endpoint;      // https://huggingface.co
    std::string revision;      // as asked ("main")
    std::string commit;        // as resolved by the hub
    std::string promptSource;  // github:OpenImagingLab/FlashVSR@<commit>
    std::string updated;       // UTC, ISO 8601
    std::vector<ModelManifestFile> files;

    const ModelManifestFile* find(const std::string& name) const;
    ModelManifestFile* find(const std::string& name);
};

// NotFound when the folder has no manifest; InvalidInput naming the field for a malformed one.
Result<ModelManifest> readModelManifest(const std::filesystem::path& folder);
// Atomically (temporary file, fsync, rename, fsync of the folder).
Status writeModelManifest(const std::filesystem::path& folder, const ModelManifest& manifest);

struct ModelVerifyEntry {
    std::string name;
    bool ok = false;
    std::string problem;  // "missing", "size 12 bytes, expected 4096", "SHA-256 differs", ...
};

struct ModelVerifyReport {
    std::filesystem::path folder;
    ModelManifest manifest;
    std::vector<ModelVerifyEntry> files;
    bool ok() const;
};

// Re-hashes every complete file the manifest lists (a planned, incomplete one is reported as not
// downloaded). `onFile(name, index, count)` before each file.
Result<ModelVerifyReport> verifyModelFolder(
    const std::filesystem::path& folder,
    const std::function<void(const std::string&, int, int)>& onFile = {},
    std::stop_token stop = {});

// Deletes the files the manifest lists (complete ones by name, every listed name's .part), then
// the manifest, then the folder if it is empty. Returns the paths deleted.
Result<std::vector<std::filesystem::path>> removeModelFiles(const std::filesystem::path& folder);

}  // namespace fvs::core
