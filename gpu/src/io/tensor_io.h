#pragma once
// Internal (owned by the weights loader work, issue #3 §2): readers/writers for the release formats
// and strict state-dict loading. Includes LibTorch: never include from outside gpu/.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "fvs/core/result.h"

namespace fvs::gpu {

using TensorMap = std::map<std::string, torch::Tensor>;

struct ReadOptions {
    bool memoryMap = true;  // map the file; tensors view the mapping where dtype allows
    // Progress in bytes (done, total); may be empty.
    std::function<void(int64_t, int64_t)> onProgress;
    // Ask the kernel to read mapped tensors ahead (off for shape checks). Last, so that
    // ReadOptions{memoryMap, onProgress} keeps its meaning.
    bool prefetch = true;
};

// One tensor as described by a safetensors header (no data read).
struct TensorHeaderEntry {
    std::string dtype;  // safetensors spelling: "F32", "BF16", ...
    std::vector<int64_t> shape;
    uint64_t dataBegin = 0;  // byte range inside the data section
    uint64_t dataEnd = 0;
};

// safetensors: every tensor of the file, keys as stored.
core::Result<TensorMap> readSafeTensors(const std::filesystem::path& path,
                                        const ReadOptions& options = {});
// Only the (validated) header of a safetensors file: cheap even for the 5.7 GB DiT.
core::Result<std::map<std::string, TensorHeaderEntry>> readSafeTensorsHeader(
    const std::filesystem::path& path);
// The `__metadata__` string map of a (validated) safetensors file; empty when it has none.
core::Result<std::map<std::string, std::string>> readSafeTensorsMetadata(
    const std::filesystem::path& path);
// PyTorch zip archives written by torch.save (.ckpt/.pth): a state dict (dict or OrderedDict,
// possibly nested under "model_state"/"state_dict"), or a single tensor (returned under key "").
core::Result<TensorMap> readTorchArchive(const std::filesystem::path& path,
                                         const ReadOptions& options = {});
// Writes a safetensors file (contiguous CPU copies); used by `flashvsr debug run` and tests.
// Writes to a temporary file next to `path` and renames it, so a failure never leaves half a file.
core::Status writeSafeTensors(const std::filesystem::path& path, const TensorMap& tensors);

// Strict load into a module whose parameter/buffer names equal the checkpoint keys (after removing
// `prefix` from the checkpoint keys). A missing, unexpected or wrongly shaped key is a ModelError
// naming `fileLabel` and the key. Values are copied (converted to the parameter's dtype/device).
// With a non-empty prefix, checkpoint keys that do not start with it belong to other modules and
// are not considered (e.g. prefix "decoder." loads only the decoder of Wan2.1_VAE.pth); with an
// empty prefix every key must match. A floating value for an integer parameter (or the reverse) is
// an error.
core::Status loadStateDict(torch::nn::Module& module, const TensorMap& stateDict,
                           const std::string& fileLabel, const std::string& prefix = {});

// "(2048, 768, 4, 3, 3)" — for error messages.
std::string shapeString(c10::IntArrayRef shape);

}  // namespace fvs::gpu
