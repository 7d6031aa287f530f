#pragma once
// Internal (owned by the weights loader work, issue #3 §2): readers/writers for the release formats
// and strict state-dict loading. Includes LibTorch: never include from outside gpu/.

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <torch/torch.h>

#include "fvs/core/result.h"

namespace fvs::gpu {

using TensorMap = std::map<std::string, torch::Tensor>;

struct ReadOptions {
    bool memoryMap = true;  // map the file; tensors view the mapping where dtype allows
    // Progress in bytes (done, total); may be empty.
    std::function<void(int64_t, int64_t)> onProgress;
};

// safetensors: every tensor of the file, keys as stored.
core::Result<TensorMap> readSafeTensors(const std::filesystem::path& path, const ReadOptions& options = {});
// PyTorch zip archives written by torch.save (.ckpt/.pth): a state dict (dict or OrderedDict,
// possibly nested under "model_state"/"state_dict"), or a single tensor (returned under key "").
core::Result<TensorMap> readTorchArchive(const std::filesystem::path& path, const ReadOptions& options = {});
// Writes a safetensors file (contiguous CPU copies); used by `flashvsr debug run` and tests.
core::Status writeSafeTensors(const std::filesystem::path& path, const TensorMap& tensors);

// Strict load into a module whose parameter/buffer names equal the checkpoint keys (after removing
// `prefix` from the checkpoint keys). A missing, unexpected or wrongly shaped key is a ModelError
// naming `fileLabel` and the key. Values are copied (converted to the parameter's dtype/device).
core::Status loadStateDict(torch::nn::Module& module, const TensorMap& stateDict,
                           const std::string& fileLabel, const std::string& prefix = {});

}  // namespace fvs::gpu
