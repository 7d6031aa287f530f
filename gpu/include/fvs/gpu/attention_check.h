#pragma once
// `flashvsr debug attention`: the paged attention path (cuDNN SDPA with page tables over the K/V
// page pool) against exact fp32 attention over the same page tables, and its speed against the
// gather path, at FlashVSR's shapes (docs/engine.md). Torch-free header.

#include <string>

#include "fvs/core/result.h"

namespace fvs::gpu {

struct AttentionCheckRequest {
    std::string device = "cuda";
    double tolerance = 2e-2;  // relative error of bf16 attention vs fp32
    int repeats = 20;         // timed calls per path
};

struct AttentionCheckReport {
    std::string text;  // one line per case
    bool pass = false;
};

core::Result<AttentionCheckReport> runAttentionCheck(const AttentionCheckRequest& request);

}  // namespace fvs::gpu
