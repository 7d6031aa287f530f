// FlashVsrProcessor: the FlashVSR engine behind core::FrameProcessor (issue #3 §3). Converts RGB
// frames to [-1,1], resizes them bicubically to the output size (the model always sees HR-sized
// input), streams them through FlashVsrStream and converts the outputs back with rounding.
// Owned by one thread (the pipeline's process stage), like every FrameProcessor.

#include "fvs/gpu/flashvsr_processor.h"

#include <deque>
#include <mutex>
#include <vector>

#include "engine/chunk_schedule.h"
#include "engine/flashvsr_model.h"
#include "engine/flashvsr_options.h"
#include "engine/flashvsr_stream.h"
#include "engine/frame_tensor.h"
#include "fvs/gpu/model_files.h"
#include "engine/lq_input.h"
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
    FlashVsrProcessor(core::EngineSettings settings, std::shared_ptr<const FlashVsrModel> model)
        : m_settings(std::move(settings)), m_model(std::move(model)), m_stream(m_model) {
        m_stream.setCollectStats(false);  // a device sync per block otherwise
    }

    core::Result<core::ProcessorPlan> configure(const core::StreamInfo& input) override {
        auto geometry = core::resolveOutputGeometry(input, m_settings.scale);
        if (!geometry) {
            return geometry.error();
        }
        try {
            if (auto st = m_stream.configure(geometry->height, geometry->width); !st) {
                return st.error();
            }
        } catch (const std::exception& e) {
            return fromException(e);
        }
        m_plan.inputFormat = input.bitDepth > 8 ? AV_PIX_FMT_RGB48 : AV_PIX_FMT_RGB24;
        m_plan.outputFormat = m_plan.inputFormat;
        m_plan.output = *geometry;
        m_plan.latencyFrames = latencyFrames();
        m_plan.engineName = "flashvsr";
        m_plan.engineDescription = m_model->options().describe();
        m_configured = true;
        return m_plan;
    }

    core::Status push(core::Frame frame) override {
        if (!m_configured) {
            return core::makeError(core::ErrorCode::Internal,
                                   "FlashVSR: push() before configure()");
        }
        try {
            // Only the 8/16-bit codes cross to the device; conversion and resize run there.
            auto image = frameToUnitTensor(frame, m_model->options().device);
            if (!image) {
                return image.error();
            }
            // (3, h, w) → (1, 3, 1, h, w) for the resize, then (1, 3, H, W) for the stream.
            auto hr = bicubicResize(image->unsqueeze(0).unsqueeze(2), m_plan.output.height,
                                    m_plan.output.width, BicubicKernel::Pil);
            m_stream.push(hr.select(2, 0), stopToken());  // (1, 3, H, W)
        } catch (const std::exception& e) {
            m_stream.reset();
            m_meta.clear();
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
            m_stream.finish(stopToken());
        } catch (const std::exception& e) {
            m_stream.reset();
            m_meta.clear();
            return fromException(e);
        }
        return collect();
    }

    void reset() override {
        m_stream.reset();
        m_meta.clear();
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

    core::Status collect() {
        try {
            return collectReady();
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

    core::EngineSettings m_settings;
    std::shared_ptr<const FlashVsrModel> m_model;
    FlashVsrStream m_stream;
    core::ProcessorPlan m_plan;
    bool m_configured = false;
    std::deque<Meta> m_meta;  // pts/index of pushed frames whose outputs are not out yet
    std::deque<core::Frame> m_out;
    std::mutex m_stopMutex;  // requestStop() may come from another thread
    std::stop_source m_stop;
    bool m_deviceOutput = false;
};

}  // namespace

core::Result<std::unique_ptr<core::FrameProcessor>> createFlashVsrProcessor(
    const core::EngineSettings& settings, const core::EngineLoadObserver& observer) {
    auto options = FlashVsrOptions::fromSettings(settings);
    if (!options) {
        return options.error();
    }
    auto folder = findModelFolder(settings.modelsDir);
    if (!folder) {
        return folder.error();
    }
    auto model = FlashVsrModel::acquire(folder->folder, *options, observer.progress, observer.stop);
    if (!model) {
        return model.error();
    }
    return std::unique_ptr<core::FrameProcessor>(
        std::make_unique<FlashVsrProcessor>(settings, *model));
}

}  // namespace fvs::gpu
