#include "engine/memory_plan.h"

#include <algorithm>

#include "engine/flashvsr_stream.h"
#include "fvs/gpu/device_info.h"
#include "io/tensor_io.h"
#include "model/sparse_attention.h"
#include "model/wan_attention.h"
#include "model/wan_config.h"

namespace fvs::gpu {
namespace {

int64_t tensorBytes(const torch::Tensor& t) {
    return t.defined() ? t.numel() * static_cast<int64_t>(t.element_size()) : 0;
}

int64_t moduleBytes(const torch::nn::Module& m) {
    int64_t bytes = 0;
    for (const auto& p : m.parameters()) {
        bytes += tensorBytes(p);
    }
    for (const auto& b : m.buffers()) {
        bytes += tensorBytes(b);
    }
    return bytes;
}

}  // namespace

int64_t attentionScratchBytes(const ModelOptions& model, const StreamOptions& stream) {
    constexpr int64_t kKernelScratch = 512LL << 20;
    if (!model.device.is_cuda()) {
        return 3 * (256LL << 20);
    }
    if (pagedCudnnAttentionRuns(stream.attention, model.device, model.dtype)) {
        return kKernelScratch;  // K/V read in place from the session's page pool
    }
    switch (stream.attention) {
        case AttentionPath::Runs:
            return kKernelScratch;
        case AttentionPath::Reference:
        case AttentionPath::Paged:  // its fp32 reference off cuDNN
            return 3 * (256LL << 20) + kKernelScratch;
        case AttentionPath::Auto:
        case AttentionPath::Gather:
            break;
    }
    const bool half = model.dtype == torch::kBFloat16 || model.dtype == torch::kHalf;
    if (!half) {
        return 3 * (256LL << 20) + kKernelScratch;  // the fp32 reference
    }
    return (stream.gatherBudgetBytes > 0 ? stream.gatherBudgetBytes
                                         : automaticGatherBudgetBytes()) +
           kKernelScratch;
}

SessionMemoryModel sessionMemoryModel(const WanConfig& config, const ModelOptions& model,
                                      const StreamOptions& stream) {
    const bool cuda = model.device.is_cuda();
    const int64_t scratch = attentionScratchBytes(model, stream);
    const bool overlap = cuda && stream.decoderOverlap;
    const torch::Dtype dtype = model.dtype;
    const int64_t kvGroups = stream.kvGroups();
    return [=](int64_t paddedHeight, int64_t paddedWidth) {
        return FlashVsrStream::estimateSessionMemory(config, paddedHeight, paddedWidth, dtype,
                                                     kvGroups, scratch, overlap);
    };
}

int64_t modelDeviceBytes(const FlashVsrModel& model) {
    int64_t bytes = moduleBytes(*model.dit());
    if (model.lqProjector()) {
        bytes += moduleBytes(*model.lqProjector());
    }
    if (model.tcDecoder()) {
        bytes += moduleBytes(*model.tcDecoder());
    }
    if (model.vaeDecoder()) {
        bytes += moduleBytes(*model.vaeDecoder());
    }
    return bytes;
}

MemoryBudget memoryBudget(const TilingOptions& tiling, const torch::Device& device,
                          int64_t weightBytes, bool weightsLoaded) {
    MemoryBudget b;
    b.weightBytes = weightBytes;
    b.budgetBytes = tiling.memoryBudgetBytes;
    if (device.is_cuda()) {
        b.freeBytes = queryDevice().freeMemoryBytes;
        if (b.freeBytes > 0) {
            b.availableBytes =
                std::max<int64_t>(1, b.freeBytes - (weightsLoaded ? 0 : weightBytes));
        }
    }
    if (b.budgetBytes > 0) {
        b.runtimeBytes = device.is_cuda() ? kCudaRuntimeBytes : 0;
        const int64_t forSessions =
            std::max<int64_t>(1, b.budgetBytes - weightBytes - b.runtimeBytes);
        b.availableBytes =
            b.availableBytes > 0 ? std::min(b.availableBytes, forSessions) : forSessions;
    }
    return b;
}

core::Result<TilePlan> planFlashVsr(const WanConfig& config, const ModelOptions& model,
                                    const StreamOptions& stream, const TilingOptions& tiling,
                                    const MemoryBudget& budget, int64_t width, int64_t height,
                                    int64_t sourceWidth, int64_t sourceHeight) {
    PlanRequest request;
    request.width = width;
    request.height = height;
    request.sourceWidth = sourceWidth;
    request.sourceHeight = sourceHeight;
    request.availableBytes = budget.availableBytes;
    request.tiling = tiling;
    request.memory = sessionMemoryModel(config, model, stream);
    return planTiles(request);
}

const char* toString(FlashVsrPlanReport::Kind kind) {
    switch (kind) {
        case FlashVsrPlanReport::Kind::Tiles:
            return "tiles";
        case FlashVsrPlanReport::Kind::TooLarge:
            return "too-large";
        case FlashVsrPlanReport::Kind::WholeFrame:
            break;
    }
    return "whole-frame";
}

core::Result<FlashVsrPlanReport> planReport(const FlashVsrOptions& options,
                                            const ModelFolderReport& folder, int64_t width,
                                            int64_t height, int64_t sourceWidth,
                                            int64_t sourceHeight) {
    // The DiT's sizes from its header alone: shapes on the meta device, nothing read.
    auto header = readSafeTensorsHeader(folder.folder / kDitFile);
    if (!header) {
        return header.error();
    }
    TensorMap shapes;
    int64_t ditElements = 0;
    for (const auto& [key, entry] : *header) {
        shapes[key] = torch::empty(entry.shape, torch::TensorOptions().device(torch::kMeta));
        ditElements += shapes[key].numel();
    }
    auto config = WanConfig::fromWeights(shapes, folder.folder / kConfigFile);
    if (!config) {
        return config.error();
    }
    // The DiT in the compute dtype, the other files as stored (at most their size on disk).
    const ModelOptions& model = options.model;
    int64_t weightBytes = ditElements * (model.dtype == torch::kFloat32 ? 4 : 2);
    for (const auto& file : folder.files) {
        const bool wanted = file.name == kLqProjFile || file.name == kTcDecoderFile ||
                            file.name == kPromptFile ||
                            (file.name == kVaeFile && model.decoder == DecoderKind::Full);
        if (wanted) {
            weightBytes += static_cast<int64_t>(file.sizeBytes);
        }
    }
    const MemoryBudget budget = memoryBudget(options.tiling, model.device, weightBytes, false);
    auto plan = planFlashVsr(*config, model, options.stream, options.tiling, budget, width, height,
                             sourceWidth, sourceHeight);
    if (!plan) {
        return plan.error();
    }
    FlashVsrPlanReport r;
    r.kind = plan->kind == PlanKind::WholeFrame ? FlashVsrPlanReport::Kind::WholeFrame
             : plan->kind == PlanKind::Tiles    ? FlashVsrPlanReport::Kind::Tiles
                                                : FlashVsrPlanReport::Kind::TooLarge;
    const TileGrid& g = plan->grid;
    r.width = width;
    r.height = height;
    r.columns = g.columns.count();
    r.rows = g.rows.count();
    r.tileWidth = g.tileWidth;
    r.tileHeight = g.tileHeight;
    r.overlap = g.wholeFrame() ? 0 : g.overlap;
    r.parkIdleTiles = plan->parked;
    r.neededBytes = plan->neededBytes;
    r.availableBytes = plan->availableBytes;
    r.weightBytes = weightBytes;
    r.freeBytes = budget.freeBytes;
    r.budgetBytes = budget.budgetBytes;
    r.runtimeBytes = budget.runtimeBytes;
    r.device = model.device.str();
    r.summary = plan->kind == PlanKind::TooLarge
                    ? planError(*plan, budget, width, height).message
                    : "FlashVSR at " + std::to_string(width) + "x" + std::to_string(height) + ": " +
                          plan->summary();
    for (const Tile& t : g.tiles) {
        r.tiles.push_back({t.output.x, t.output.y, t.output.width, t.output.height, t.source.x,
                           t.source.y, t.source.width, t.source.height});
    }
    return r;
}

core::Error planError(const TilePlan& plan, const MemoryBudget& budget, int64_t width,
                      int64_t height) {
    std::string message = "FlashVSR at " + std::to_string(width) + "x" + std::to_string(height) +
                          " needs about " + formatGiB(plan.neededBytes) + " of device memory" +
                          (plan.grid.wholeFrame() ? "" : " even as " + plan.grid.describe()) +
                          " but " + formatGiB(plan.availableBytes) + " is available (" +
                          formatGiB(static_cast<int64_t>(plan.availableBytes * (1 - plan.margin))) +
                          " of it may be used, the rest is the safety margin)";
    if (budget.budgetBytes > 0) {
        message +=
            " (--memory-budget " + formatGiB(budget.budgetBytes) + ", of which the weights " +
            formatGiB(budget.weightBytes) +
            (budget.runtimeBytes > 0 ? " and the CUDA runtime " + formatGiB(budget.runtimeBytes)
                                     : std::string()) +
            ")";
    }
    message += "; use a smaller scale or size";
    return core::makeError(core::ErrorCode::OutOfMemory, message);
}

}  // namespace fvs::gpu
