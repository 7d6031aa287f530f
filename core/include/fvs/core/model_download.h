#pragma once
// The FlashVSR model downloader (docs/models.md, "Downloading"): asks the Hugging Face hub's model
// API for a version's release files at a resolved commit, downloads them with resume (HTTP Range)
// into `NAME.part`, verifies each file's size and hash before an atomic rename into the folder,
// and records what it did in the folder's manifest (fvs/core/model_manifest.h). posi_prompt.pth
// comes from the official GitHub repository at a pinned commit, verified by its git blob id.
// Torch-free: used by the CLI and the app. Thread contract: one call owns its folder (an flock on
// the folder keeps a second downloader out); callbacks run on the calling thread.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "fvs/core/model_manifest.h"
#include "fvs/core/result.h"

namespace fvs::core {

inline constexpr const char* kDefaultHubEndpoint = "https://huggingface.co";
inline constexpr const char* kDefaultGithubRaw = "https://raw.githubusercontent.com";
inline constexpr const char* kPromptRepo = "OpenImagingLab/FlashVSR";
inline constexpr const char* kPromptCommit = "cd57b9af96aa38607f68a1eca7c9a0ae64921057";
inline constexpr const char* kPromptPath = "examples/WanVSR/prompt_tensor/posi_prompt.pth";
inline constexpr const char* kPromptGitBlob = "95c840b20b8d6aa0d16504ee04e49f1c01a7f209";

// "JunhaoZhuang/FlashVSR-v1.1" for "v1.1", "JunhaoZhuang/FlashVSR" for "v1"; "" otherwise.
std::string modelRepoFor(const std::string& version);

struct ModelDownloadOptions {
    std::string version = "v1.1";   // "v1" or "v1.1"
    bool fullDecoder = false;       // also Wan2.1_VAE.pth (decoder=full)
    std::filesystem::path folder;   // where the files go (created when missing)
    std::string endpoint;           // empty: $HF_ENDPOINT, else kDefaultHubEndpoint
    std::string revision = "main";  // branch, tag or commit of the Hugging Face repository
    std::string githubRaw;          // empty: $FLASHVSR_GITHUB_RAW, else kDefaultGithubRaw
    std::string promptGitBlob;      // empty: $FLASHVSR_PROMPT_GIT_BLOB, else kPromptGitBlob
    uint64_t keepFreeBytes = 0;     // refuse to start unless this much stays free afterwards
    bool checkFreeSpace = true;     // false: skip the statvfs check (file systems that lie)
    bool overwrite = false;         // replace files in the folder that differ from the release
    int retries = 3;                // further attempts per file after a broken transfer
    std::stop_token stop;
};

// One file to fetch: where from and what it must be.
struct ModelFileSource {
    std::string name;         // file name in the folder
    std::string url;          // where to GET it (redirects are followed)
    uint64_t sizeBytes = 0;   // 0: not known before the download (posi_prompt.pth)
    std::string sha256;       // the hub's LFS hash (empty for a git blob)
    std::string gitBlobSha1;  // the git blob id (non-LFS files, posi_prompt.pth)
};

struct ModelDownloadPlan {
    std::string version, repo, endpoint, revision;
    std::string commit;  // the revision resolved by the hub (40 hex digits)
    std::vector<ModelFileSource> files;
};

// Asks the hub's model API (GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true) and picks
// the files the version needs. NotFound for an unknown repository, revision or a release file the
// repository lacks; NetworkError when the hub cannot be reached or answers something else.
Result<ModelDownloadPlan> resolveModelDownload(const ModelDownloadOptions& options);

struct DownloadProgress {
    enum class Phase { Checking, Downloading, Verifying, FileDone };
    Phase phase = Phase::Checking;
    std::string file;
    int fileIndex = 0, fileCount = 0;
    uint64_t fileBytes = 0, fileTotal = 0;   // fileTotal 0: unknown
    uint64_t bytesDone = 0, bytesTotal = 0;  // over the files still to download
    double bytesPerSecond = 0;               // recent rate (0 until known)
    std::string outcome;  // FileDone: "downloaded", "resumed" or "present" (already complete)
};

struct ModelDownloadCallbacks {
    std::function<void(const DownloadProgress&)> onProgress;  // at most ~10 times a second
    std::function<void(const std::string&)> onWarning;        // retries, restarted files
};

// Downloads and verifies the plan's files into options.folder and updates its manifest after each
// file. Errors: DiskFull (not enough free space, or ENOSPC while writing: the .part is kept for a
// later resume), ModelError (size or hash mismatch: the file is removed and named), OutputExists
// (a different file of that name that the manifest does not list, without `overwrite`; a folder
// holding the other version), NetworkError, NotFound (404), Cancelled (the .part is kept).
Result<ModelManifest> downloadModelFiles(const ModelDownloadPlan& plan,
                                         const ModelDownloadOptions& options,
                                         const ModelDownloadCallbacks& callbacks = {});

// Where `download` puts a version by default: among `searchPaths` (the model search path), the
// first that already holds this version's manifest, else the first that is writable (or can be
// created) and holds no other version. IoError naming each folder and why when none fits.
Result<std::filesystem::path> chooseDownloadFolder(
    const std::vector<std::filesystem::path>& searchPaths, const std::string& version);

// The model search path (docs/models.md): each entry of `modelsPathList` ($FLASHVSR_MODELS,
// ':'-separated), then <dir>/models for each of `appDataDirs` (core::appDataDirs()). Pure.
std::vector<std::filesystem::path> modelSearchPaths(
    const std::string& modelsPathList, const std::vector<std::filesystem::path>& appDataDirs);

// "5.68 GB", "27.1 MB", "2174 B" (decimal units, as `models check` prints sizes).
std::string humanBytes(uint64_t bytes);

}  // namespace fvs::core
