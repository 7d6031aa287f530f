#pragma once
// `flashvsr debug block`: one DiT block at a time against the reference's taps (issue #3 §4, bf16
// parity per block with injected masks). The tap file is written by
// tests/parity/tools/gpu_reference.py --taps (or make_goldens.py block_taps) and holds, for a
// chunk: tap.t_mod, tap.t and per tapped block b tap.block{b}.x_in/.mask/.x_out/.cache_{k,v}_in
// (chunk >= 1)/.cache_{k,v}_out; its metadata gives the chunk, rope_t0, the token grid and the
// LCSA settings the reference used.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/flashvsr_options.h"
#include "fvs/core/result.h"
#include "fvs/gpu/flashvsr_debug.h"
#include "model/wan_dit.h"

namespace fvs::gpu {

struct BlockTap {
    int64_t index = 0;
    torch::Tensor xIn, mask, xOut, cacheKIn, cacheVIn, cacheKOut, cacheVOut;
};

struct BlockTaps {
    torch::Tensor tMod;  // (1, 6, D)
    torch::Tensor t;     // (1, D)
    std::vector<BlockTap> blocks;
    int64_t chunk = -1;
    int64_t ropeT0 = 0;
    int64_t f = 0, h = 0, w = 0;  // token grid of the chunk
    double sparseRatio = 2.0;
    double kvRatio = 3.0;
    int64_t localRange = 11;
    int64_t topk = -1;  // as the reference passed it; -1: not recorded (computed from sparseRatio)
};

// Options of the debug commands: CUDA in bf16 when available, else the CPU in fp32, then the
// user's "k=v,..." list.
core::Result<FlashVsrOptions> debugOptions(const std::string& keyValues);

// Reads and validates a tap file. Settings missing from its metadata come from `defaults`.
core::Result<BlockTaps> readBlockTaps(const std::filesystem::path& path,
                                      const FlashVsrOptions& defaults);

// Runs every tapped block alone through `dit`'s block (tapped x_in and t_mod, KV cache from
// cache_*_in, the tapped mask injected) on `dit`'s device and dtype, attention as `stream` says;
// errors in fp32.
core::Result<BlockCheckReport> checkBlocks(WanDit& dit, const BlockTaps& taps, double tolerance,
                                           const StreamOptions& stream = {});

}  // namespace fvs::gpu
