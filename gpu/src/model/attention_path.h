#pragma once
// Which implementation runs the block-sparse attention (blockSparseAttention). Chosen per stream
// (StreamOptions::attention), never read from the environment below app/.

#include <cstdint>

namespace fvs::gpu {

enum class AttentionPath {
    Auto,       // Paged where it runs (CUDA, bf16/fp16, cuDNN paged attention in the build), else
                // Gather where it runs (CUDA, bf16/fp16, head_dim % 8 == 0, <= 256), else Reference
    Paged,      // K/V in the stream's page pool (pagedBlockSparseAttention): cuDNN SDPA with page
                // tables where it runs, else its fp32 reference (any device; CPU tests)
    Gather,     // flash attention over the gathered key blocks (blockSparseAttentionVarlen)
    Runs,       // flash attention over runs of consecutive key blocks (blockSparseAttentionRuns)
    Reference,  // fp32 gather + masked softmax, any device (blockSparseAttentionReference)
};

}  // namespace fvs::gpu
