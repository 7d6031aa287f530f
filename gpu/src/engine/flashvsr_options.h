#pragma once
// The engine's knobs, split by what they belong to (spec §6 defaults):
// - ModelOptions: exactly what the loaded weights depend on. The model cache key; a model never
//   changes after load.
// - StreamOptions: what each FlashVsrStream decides for itself; streams with different values
//   share one loaded model.
// FlashVsrOptions is the user's whole choice (both, plus the scale) as parsed from settings or a
// "key=value,..." list.

#include <cstdint>
#include <string>
#include <tuple>

#include <torch/torch.h>

#include "engine/tile_plan.h"
#include "fvs/core/engine_settings.h"
#include "fvs/core/result.h"
#include "model/attention_path.h"
#include "model/color_fix.h"

namespace fvs::gpu {

enum class DecoderKind { Tiny, Full };

struct ModelOptions {
    std::string version;  // "v1", "v1.1"; empty: detected from the model folder
    DecoderKind decoder = DecoderKind::Tiny;
    torch::Dtype dtype = torch::kFloat32;
    torch::Device device = torch::kCPU;
    // CUDA bf16/fp16 speed paths that change the weights or the kernels (A/B switches; all on by
    // default): the constant modulation folded into the weights, the TC decoder channels-last,
    // the fused kernels of gpu/kernels.
    bool foldModulation = true;
    bool decoderChannelsLast = true;
    bool fusedKernels = true;

    auto key() const {
        return std::make_tuple(version, static_cast<int>(decoder), static_cast<int>(dtype),
                               device.str(), foldModulation, decoderChannelsLast, fusedKernels);
    }
    bool operator==(const ModelOptions& o) const { return key() == o.key(); }
};

struct StreamOptions {
    double sparseRatio = 2.0;  // topk_ratio = sparse_ratio*768*1280/(H*W)
    double kvRatio = 3.0;      // KV cache keeps int(kv_ratio) temporal groups
    int64_t localRange = 11;   // LCSA local window in blocks
    ColorFixMethod colorFix = ColorFixMethod::AdaIn;
    int64_t seed = 0;
    AttentionPath attention = AttentionPath::Auto;
    int64_t gatherBudgetBytes = 0;  // the Gather path's K/V budget; 0 = automatic
    bool decoderOverlap = true;     // CUDA: decode chunk k on a side stream beside chunk k+1's DiT
    bool profile = false;           // per-chunk stage times on stderr (synchronises the device)

    int64_t kvGroups() const { return static_cast<int64_t>(kvRatio); }
};

struct FlashVsrOptions {
    ModelOptions model;
    StreamOptions stream;
    TilingOptions tiling;  // how the processor splits a frame that does not fit (tile_plan.h)
    double scale = 4.0;    // any factor; 4 is what the model was trained for

    // From the user's settings; the device defaults to CUDA when available, the dtype to bf16 on
    // CUDA and fp32 on the CPU. Bad values are InvalidArgument errors.
    static core::Result<FlashVsrOptions> fromSettings(const core::EngineSettings& settings);
    // Applies "key=value,key=value". Model keys: version, decoder, dtype, device. Stream keys:
    // sparse_ratio, kv_ratio, local_range, color_fix, seed, attention (auto, gather, runs,
    // reference), gather_budget_mb (0 = automatic, else >= 64), overlap (0/1), profile (0/1).
    // Tiling keys: tile (auto, off or WxH), tile_overlap (pixels), memory_budget_gib (0 = the
    // device's free memory). Also scale.
    core::Status applyKeyValues(const std::string& list);
};

// "FlashVSR v1.1 tiny sparse_ratio=2 kv_ratio=3 local_range=11 color_fix=adain seed=0 bf16 cuda:0"
// — what an output's metadata records. The diagnostics knobs are named only when not default.
std::string describe(const ModelOptions& model, const StreamOptions& stream);
const char* toString(AttentionPath path);

}  // namespace fvs::gpu
