#pragma once
// The FlashVSR chunk schedule (spec §2.2, §2.5) and our frame-exact policy. Pure arithmetic.
//
// Chunk 0 consumes LR frames [0, 25) and emits output frames [0, 21); chunk k ≥ 1 consumes
// [8k+17, 8k+25) and emits [8k+13, 8k+21): a fixed 4-frame look-ahead. For N input frames we run
// chunkCountFor(N) chunks, feeding copies of the last frame where the input has ended, and keep the
// first N outputs. When N + 4 = 8n + 1 this is exactly the official bookkeeping; otherwise the
// official scripts drop up to 7 tail frames (and need N ≥ 21), we do not.

#include <algorithm>
#include <cstdint>

namespace fvs::gpu {

struct ChunkPlan {
    int64_t index = 0;
    int64_t inputBegin = 0, inputEnd = 0;    // LR frames fed to the LQ projector (end exclusive)
    int64_t condBegin = 0, condEnd = 0;      // LR frames the decoder/colour fix use = output frames
    int64_t latentBegin = 0, latentEnd = 0;  // noise slice and RoPE temporal positions
};

inline constexpr int64_t kFirstChunkInputs = 25;
inline constexpr int64_t kFirstChunkOutputs = 21;
inline constexpr int64_t kChunkFrames = 8;
inline constexpr int64_t kLookAheadFrames = 4;

inline ChunkPlan chunkPlan(int64_t k) {
    if (k == 0) {
        return {0, 0, kFirstChunkInputs, 0, kFirstChunkOutputs, 0, 6};
    }
    return {k, 8 * k + 17, 8 * k + 25, 8 * k + 13, 8 * k + 21, 4 + 2 * k, 6 + 2 * k};
}

// Chunks needed so that every one of `inputFrames` frames gets its output (≥ 1 for any N ≥ 1).
inline int64_t chunkCountFor(int64_t inputFrames) {
    if (inputFrames <= kFirstChunkOutputs) {
        return 1;
    }
    return 1 + (inputFrames - kFirstChunkOutputs + kChunkFrames - 1) / kChunkFrames;
}

// Input frames the chunks of chunkCountFor(N) read (real + repeated last frame): 8n+1 - 4 + 4.
inline int64_t paddedInputFrames(int64_t inputFrames) {
    return chunkPlan(chunkCountFor(inputFrames) - 1).inputEnd;
}

// Latent frames of the whole stream for N input frames (noise tensor length, 2n).
inline int64_t latentFramesFor(int64_t inputFrames) {
    return chunkPlan(chunkCountFor(inputFrames) - 1).latentEnd;
}

}  // namespace fvs::gpu
