// FlashVsrProcessor: the FlashVSR engine behind core::FrameProcessor (issue #3 §3). Converts RGB
// frames to [-1,1], resizes them bicubically to the output size (the model always sees HR-sized
// input), streams them through FlashVsrStream and converts the outputs back with rounding.
// Owned by one thread (the pipeline's process stage), like every FrameProcessor; its tensor work
// runs in pieces through the device's ComputeExecutor (export or preview turn).

#include "engine/flashvsr_processor.h"

#include <deque>
#include <mutex>
#include <type_traits>
#include <vector>

#include "engine/chunk_schedule.h"
#include "engine/flashvsr_stream.h"
#include "engine/frame_tensor.h"
#include "engine/lq_input.h"
#include "engine/memory_plan.h"
#include "engine/tiled_stream.h"
#include "model/wan_dit.h"

namespace fvs::gpu {
namespace {

core::Error fromException(const std::exception& e) {
    if (dynamic_cast<const StopRequested*>(&e) != nullptr) {
        return core::makeError(core::ErrorCode::Cancelled, "FlashVSR: cancelled");
    }
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
        const std::string what = c10->what_without_backtrace();
        const bool oom = what.find("out of memory") != std::string::npos;
        return core::makeError(oom ? core::ErrorCode::OutOfMemory : core::ErrorCode::Internal,
                               "FlashVSR: " + what);
    }
    return core::makeError(core::ErrorCode::Internal, std::string("FlashVSR: ") + e.what());
}

class FlashVsrProcessor : public core::FrameProcessor {
public:
    FlashVsrProcessor(core::ScaleRequest scale, std::shared_ptr<const FlashVsrModel> model,
                      const StreamOptions& options, const TilingOptions& tiling,
                      std::shared_ptr<ComputeExecutor> executor, ComputeRole role)
        : m_scale(scale),
          m_model(std::move(model)),
          m_tiling(tiling),
          m_stream(m_model, options),
          m_executor(std::move(executor)),
          m_role(role),
          m_exportSession(*m_executor) {
        m_stream.setCollectStats(false);  // a device sync per block otherwise
    }

    core::Result<core::ProcessorPlan> configure(const core::StreamInfo& input) override {
        auto geometry = core::resolveOutputGeometry(input, m_scale);
        if (!geometry) {
            return geometry.error();
        }
        std::string tiling;
        try {
            // Whole frame when it fits the device (or the memory budget), else tiles.
            const auto& model = m_model->options();
            const MemoryBudget budget =
                memoryBudget(m_tiling, model.device, modelDeviceBytes(*m_model), true);
            auto plan =
                planFlashVsr(m_model->dit()->config(), model, m_stream.options(), m_tiling, budget,
                             geometry->width, geometry->height, input.width, input.height);
            if (!plan) {
                return plan.error();
            }
            if (plan->kind == PlanKind::TooLarge) {
                return planError(*plan, budget, geometry->width, geometry->height);
            }
            if (auto st = m_stream.configure(plan->grid, plan->parked); !st) {
                return st.error();
            }
            if (!plan->grid.wholeFrame()) {
                const TileGrid& g = plan->grid;
                tiling = " tiles=" + std::to_string(g.columns.count()) + "x" +
                         std::to_string(g.rows.count()) + " tile=" + std::to_string(g.tileWidth) +
                         "x" + std::to_string(g.tileHeight) +
                         " tile_overlap=" + std::to_string(g.overlap) +
                         (plan->parked ? " tile_park=1" : "");
            }
        } catch (const std::exception& e) {
            return fromException(e);
        }
        m_plan.inputFormat = input.bitDepth > 8 ? AV_PIX_FMT_RGB48 : AV_PIX_FMT_RGB24;
        m_plan.outputFormat = m_plan.inputFormat;
        m_plan.output = *geometry;
        m_plan.latencyFrames = latencyFrames();
        m_plan.outputBurstFrames = static_cast<int>(kChunkFrames);  // a chunk's outputs at once
        m_plan.engineName = "flashvsr";
        m_plan.engineDescription = describe(m_model->options(), m_stream.options()) + tiling;
        m_configured = true;
        return m_plan;
    }

    core::Status push(core::Frame frame) override {
        if (!m_configured) {
            return core::makeError(core::ErrorCode::Internal,
                                   "FlashVSR: push() before configure()");
        }
        try {
            const auto status = compute([&]() -> core::Status {
                // Only the 8/16-bit codes cross to the device; conversion and resize run there.
                auto image = frameToUnitTensor(frame, m_model->options().device);
                if (!image) {
                    return image.error();
                }
                // (3, h, w) → (1, 3, 1, h, w) for the resize, then (1, 3, H, W) for the stream.
                auto hr = bicubicResize(image->unsqueeze(0).unsqueeze(2), m_plan.output.height,
                                        m_plan.output.width, BicubicKernel::Pil);
                m_stream.push(hr.select(2, 0), stopToken());  // (1, 3, H, W)
                return {};
            });
            if (!status) {
                return status;
            }
        } catch (const std::exception& e) {
            dropStream();
            return fromException(e);
        }
        m_meta.push_back({frame.index, frame.ptsUs, frame.av->pts});
        return collect();
    }

    std::optional<core::Frame> pull() override {
        if (m_out.empty()) {
            return std::nullopt;
        }
        core::Frame f = std::move(m_out.front());
        m_out.pop_front();
        return f;
    }

    core::Status finish() override {
        try {
            compute([&] { m_stream.finish(stopToken()); });
        } catch (const std::exception& e) {
            dropStream();
            return fromException(e);
        }
        auto status = collect();
        m_exportSession.end();  // the stream is done: a waiting preview may go
        return status;
    }

    void reset() override {
        dropStream();
        m_out.clear();
        std::lock_guard lock(m_stopMutex);
        m_stop = std::stop_source{};  // re-armed after a cancel
    }

    void requestStop() override {
        std::lock_guard lock(m_stopMutex);
        m_stop.request_stop();  // the stream checks between chunks and between DiT blocks
    }

    bool enableDeviceOutput(bool on) override {
        m_deviceOutput = on && m_model->options().device.is_cuda();
        return m_deviceOutput == on;
    }

    int latencyFrames() const override { return static_cast<int>(kFirstChunkInputs); }
    // After a seek, one first chunk of context (its 21 outputs are discarded by the caller) puts
    // the stream back into the steady state.
    int warmupFrames() const override { return static_cast<int>(kFirstChunkOutputs); }

private:
    struct Meta {
        int64_t index;
        int64_t ptsUs;
        int64_t pts;
    };

    // Runs `piece` in this processor's turn on the device; an export's first piece opens its
    // session.
    template <typename Piece>
    std::invoke_result_t<Piece> compute(Piece&& piece) {
        if (m_role == ComputeRole::Export) {
            m_exportSession.begin();
        }
        return m_executor->run(m_role, stopToken(), std::forward<Piece>(piece));
    }

    // After an error or a reset: the session state goes, and the export's turn with it. Freeing
    // is no compute: it needs no turn (a preview must not wait for an export to drop its state).
    void dropStream() {
        m_stream.reset();
        m_meta.clear();
        m_exportSession.end();
    }

    core::Status collect() {
        try {
            return compute([&] { return collectReady(); });
        } catch (const std::exception& e) {
            return fromException(e);
        }
    }

    core::Status collectReady() {
        auto frames = m_stream.take();  // (n, 3, H, W)
        if (!frames.defined()) {
            return {};
        }
        std::vector<torch::Tensor> rgba;  // device output: (H, W, 4) uint8 per frame
        if (m_deviceOutput) {
            for (int64_t i = 0; i < frames.size(0); ++i) {
                rgba.push_back(unitTensorToRgba(frames[i]));
            }
            // Consumers use their own CUDA stream: the codes must be written before handing
            // over. One sync for the whole batch of frames.
            torch::cuda::synchronize(frames.device().index());
        }
        for (int64_t i = 0; i < frames.size(0); ++i) {
            if (m_meta.empty()) {
                return core::makeError(core::ErrorCode::Internal,
                                       "FlashVSR produced more frames than it was given");
            }
            const Meta meta = m_meta.front();
            m_meta.pop_front();
            core::Frame out;
            out.index = meta.index;
            out.ptsUs = meta.ptsUs;
            if (m_deviceOutput) {
                out.device = deviceImage(std::move(rgba[static_cast<size_t>(i)]));
            } else {
                auto av = unitTensorToFrame(frames[i], m_plan.outputFormat);
                if (!av) {
                    return av.error();
                }
                (*av)->pts = meta.pts;
                out.av = std::move(*av);
            }
            m_out.push_back(std::move(out));
        }
        return {};
    }

    // RGBA8 codes (H, W, 4) that stay on the GPU, already written; the tensor lives as long as
    // any Frame refers to it.
    static std::shared_ptr<const core::DeviceImage> deviceImage(torch::Tensor codes) {
        auto rgba = std::make_shared<torch::Tensor>(std::move(codes));
        auto image = std::make_shared<core::DeviceImage>();
        image->data = rgba->data_ptr();
        image->pitchBytes = static_cast<std::size_t>(rgba->stride(0));
        image->height = static_cast<int>(rgba->size(0));
        image->width = static_cast<int>(rgba->size(1));
        image->deviceIndex = rgba->device().index();
        image->owner = rgba;
        return image;
    }

    std::stop_token stopToken() {
        std::lock_guard lock(m_stopMutex);
        return m_stop.get_token();
    }

    core::ScaleRequest m_scale;
    std::shared_ptr<const FlashVsrModel> m_model;  // a lease from the engine's model cache
    TilingOptions m_tiling;
    TiledStream m_stream;  // one tile (the whole frame) unless the frame does not fit
    std::shared_ptr<ComputeExecutor> m_executor;
    ComputeRole m_role;
    ExportSession m_exportSession;  // open while an export's stream runs
    core::ProcessorPlan m_plan;
    bool m_configured = false;
    std::deque<Meta> m_meta;  // pts/index of pushed frames whose outputs are not out yet
    std::deque<core::Frame> m_out;
    std::mutex m_stopMutex;  // requestStop() may come from another thread
    std::stop_source m_stop;
    bool m_deviceOutput = false;
};

}  // namespace

std::unique_ptr<core::FrameProcessor> makeFlashVsrProcessor(
    const core::ScaleRequest& scale, std::shared_ptr<const FlashVsrModel> model,
    const StreamOptions& options, const TilingOptions& tiling,
    std::shared_ptr<ComputeExecutor> executor, ComputeRole role) {
    return std::make_unique<FlashVsrProcessor>(scale, std::move(model), options, tiling,
                                               std::move(executor), role);
}

}  // namespace fvs::gpu
