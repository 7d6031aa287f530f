#pragma once
// Observation and injection points of the DiT for parity work (spec §7): taps of intermediate
// tensors, externally supplied LCSA block masks, and counters of the mask selection.

#include <cstdint>
#include <functional>
#include <string>

#include <torch/torch.h>

namespace fvs::gpu {

struct DitHooks {
    // Receives intermediate tensors named as in docs/parity.md (e.g. "blocks.0.mask").
    std::function<void(const std::string& name, const torch::Tensor& value)> tap;
    // Returns the block mask (1, heads, Lq_win, Lk_win) bool to use instead of the computed one,
    // or an undefined tensor to keep the computed mask. The computed one is compared (flip count).
    std::function<torch::Tensor(int64_t block)> injectMask;
};

struct AttentionStats {
    int64_t maskFlips = 0;         // computed vs injected mask entries that differ
    int64_t emptyQueryBlocks = 0;  // (head, query block) pairs selecting no key block
    int64_t selectedBlocks = 0;    // selected (head, query block, key block) entries
    int64_t candidateBlocks = 0;   // all (head, query block, key block) entries
};

}  // namespace fvs::gpu
