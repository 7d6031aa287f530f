#pragma once
// `flashvsr debug run`: the streaming engine on prepared tensors, for comparison with the official
// implementation (docs/parity.md describes the file formats). Torch-free header.

#include <cstdint>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::gpu {

struct DebugRunRequest {
    std::string modelsDir;
    std::string framesPath;  // IN.safetensors: input.lq (1,3,F,H,W) or input.lr_uint8 (N,h,w,3)
    std::string noisePath;   // optional NOISE.safetensors: input.noise (1,16,L,H/8,W/8)
    std::string options;     // "k=v,..." (FlashVsrOptions keys)
    std::string outPath;     // OUT.safetensors
    bool taps = false;       // also write intermediate tensors (tap.*)
};

struct DebugRunSummary {
    int64_t inputFrames = 0;
    int64_t outputFrames = 0;
    int64_t chunks = 0;
    int64_t emptyQueryBlocks = 0;
    int64_t tapCount = 0;
    double seconds = 0.0;
};

core::Result<DebugRunSummary> runFlashVsrDebug(const DebugRunRequest& request);

// `flashvsr debug block`: each tapped DiT block run alone on the reference's tapped inputs with
// the reference's block mask injected (docs/parity.md).
struct BlockCheckRequest {
    std::string modelsDir;
    std::string tapsPath;  // TAPS.safetensors from gpu_reference.py --taps
    std::string options;   // "k=v,..." (FlashVsrOptions keys; dtype and device matter here)
    double tolerance = 1e-2;
};

struct BlockCheckEntry {
    int64_t block = 0;
    double xOut = 0.0;    // ||ours - ref|| / ||ref|| in fp32, block output
    double cacheK = 0.0;  // the same for the KV cache after the block
    double cacheV = 0.0;
    int64_t maskFlips = 0;    // our own computed mask vs the tapped one
    int64_t maskEntries = 0;  // heads x query blocks x key blocks
    int64_t emptyQueryBlocks = 0;
    bool pass = false;  // all three errors <= tolerance (flips are reported, not gated)
};

struct BlockCheckReport {
    int64_t chunk = -1;
    int64_t ropeT0 = 0;
    int64_t f = 0, h = 0, w = 0;  // token grid
    int64_t topk = 0;
    int64_t kvGroups = 0;
    int64_t localRange = 0;
    double tModRel = 0.0;  // our t_mod (from the prompt) vs the tapped one; gated like the blocks
    double tolerance = 1e-2;
    std::string device, dtype;
    std::vector<BlockCheckEntry> blocks;
    bool pass = false;
    double seconds = 0.0;
};

core::Result<BlockCheckReport> runBlockCheck(const BlockCheckRequest& request);
// The report as a JSON object (what `--json OUT.json` writes).
std::string blockCheckJson(const BlockCheckReport& report);

}  // namespace fvs::gpu
