#pragma once
// The FlashVSR side of the tiling planner (tile_plan.h): the session memory model from
// FlashVsrStream's estimate, the device memory a request may use, and the plan for one output
// size. Used by the processor at configure() and by FlashVsrEngine::plan (`flashvsr upscale
// --plan`), so both choose the same.

#include <cstdint>

#include <torch/torch.h>

#include "engine/flashvsr_model.h"
#include "engine/flashvsr_options.h"
#include "engine/tile_plan.h"
#include "fvs/core/result.h"
#include "fvs/gpu/flashvsr_engine.h"

namespace fvs::gpu {

// The attention's working memory per session on `model.device` with `stream`'s path: on the
// paged cuDNN path (K/V read in place) the kernel's workspace, the page tables and the masks
// (512 MiB); on the CUDA gather path the gathered K/V budget on top; on the CPU the fp32 score
// steps (3 × 256 MiB). FlashVsrStream::configure and the planner use the same figure.
int64_t attentionScratchBytes(const ModelOptions& model, const StreamOptions& stream);

// Device memory a CUDA process uses outside the caching allocator (context, cuBLAS/cuDNN
// handles and workspaces): measured on the H200 as the peak of a refused run less its weights
// (docs/benchmarks.md). Counted against a --memory-budget, which bounds the whole process.
inline constexpr int64_t kCudaRuntimeBytes = 1LL << 30;

// FlashVsrStream::estimateSessionMemory with the attention scratch and decoder overlap the
// stream will use on `model.device` (what configure() checks).
SessionMemoryModel sessionMemoryModel(const WanConfig& config, const ModelOptions& model,
                                      const StreamOptions& stream);

// Device bytes of the loaded weights (parameters and buffers of every module).
int64_t modelDeviceBytes(const FlashVsrModel& model);

struct MemoryBudget {
    int64_t availableBytes = 0;  // for the sessions; 0 = no limit (CPU without a budget)
    int64_t weightBytes = 0;
    int64_t freeBytes = 0;     // the device's free memory now (0 on the CPU)
    int64_t budgetBytes = 0;   // TilingOptions::memoryBudgetBytes
    int64_t runtimeBytes = 0;  // kCudaRuntimeBytes on CUDA under a budget, else 0
};
// What the sessions may use: the free device memory (less the weights unless they are already
// loaded) and the budget less the weights and, on CUDA, the runtime's share, whichever is
// smaller.
MemoryBudget memoryBudget(const TilingOptions& tiling, const torch::Device& device,
                          int64_t weightBytes, bool weightsLoaded);

// The plan for a width×height output resampled from sourceWidth×sourceHeight.
core::Result<TilePlan> planFlashVsr(const WanConfig& config, const ModelOptions& model,
                                    const StreamOptions& stream, const TilingOptions& tiling,
                                    const MemoryBudget& budget, int64_t width, int64_t height,
                                    int64_t sourceWidth, int64_t sourceHeight);

// FlashVsrEngine::plan: the plan for `options` on the weights in `folder`, without loading them.
core::Result<FlashVsrPlanReport> planReport(const FlashVsrOptions& options,
                                            const ModelFolderReport& folder, int64_t width,
                                            int64_t height, int64_t sourceWidth,
                                            int64_t sourceHeight);

// The OutOfMemory error of a plan that does not fit.
core::Error planError(const TilePlan& plan, const MemoryBudget& budget, int64_t width,
                      int64_t height);

}  // namespace fvs::gpu
