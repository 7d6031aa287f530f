#include "fvs/gpu/flashvsr_debug.h"

#include <chrono>

#include "engine/flashvsr_model.h"
#include "engine/flashvsr_stream.h"
#include "io/tensor_io.h"
#include "tools/block_check.h"

namespace fvs::gpu {

core::Result<DebugRunSummary> runFlashVsrDebug(const DebugRunRequest& request) {
    torch::NoGradGuard noGrad;
    const auto start = std::chrono::steady_clock::now();
    auto parsed = debugOptions(request.options);
    if (!parsed) {
        return parsed.error();
    }
    const FlashVsrOptions& options = *parsed;
    auto inputs = readSafeTensors(request.framesPath, ReadOptions{false, {}});
    if (!inputs) {
        return inputs.error();
    }
    // The HR LQ tensor as the reference pipeline receives it, or LR frames made into it with
    // torch bicubic ×scale (the parity goldens' recipe).
    torch::Tensor lq;  // (F, 3, H, W)
    bool referencePadded = false;
    if (auto it = inputs->find("input.lq"); it != inputs->end()) {
        if (it->second.dim() != 5 || it->second.size(0) != 1 || it->second.size(1) != 3) {
            return core::makeError(core::ErrorCode::InvalidInput,
                                   request.framesPath + ": input.lq must be (1,3,F,H,W)");
        }
        lq = it->second.to(torch::kFloat32)[0].permute({1, 0, 2, 3});  // (F, 3, H, W)
        referencePadded = true;
    } else if (auto lr = inputs->find("input.lr_uint8"); lr != inputs->end()) {
        auto x = lr->second.permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0 * 2.0 - 1.0;
        const auto h = static_cast<int64_t>(std::llround(x.size(2) * options.scale));
        const auto w = static_cast<int64_t>(std::llround(x.size(3) * options.scale));
        lq = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{h, w})
                                                       .mode(torch::kBicubic)
                                                       .align_corners(false));  // (N, 3, H, W)
    } else {
        return core::makeError(core::ErrorCode::InvalidInput,
                               request.framesPath + ": needs input.lq or input.lr_uint8");
    }
    if (lq.size(0) < 1) {
        return core::makeError(core::ErrorCode::InvalidInput, request.framesPath + ": no frames");
    }
    auto model = FlashVsrModel::load(request.modelsDir, options.model);
    if (!model) {
        return model.error();
    }
    TensorMap out;
    DebugRunSummary summary;
    try {
        FlashVsrStream stream(*model, options.stream);
        if (auto st = stream.configure(lq.size(2), lq.size(3)); !st) {
            return st.error();
        }
        if (!request.noisePath.empty()) {
            auto noise = readSafeTensors(request.noisePath, ReadOptions{false, {}});
            if (!noise) {
                return noise.error();
            }
            auto it = noise->find("input.noise");
            if (it == noise->end()) {
                return core::makeError(core::ErrorCode::InvalidInput,
                                       request.noisePath + ": needs input.noise");
            }
            stream.setNoise(it->second);
        }
        DitHooks hooks;
        if (request.taps) {
            hooks.tap = [&](const std::string& name, const torch::Tensor& t) {
                out["tap." + name] = t.to(torch::kCPU).contiguous().clone();
            };
        }
        stream.setHooks(&hooks);
        for (int64_t t = 0; t < lq.size(0); t += 8) {
            stream.push(lq.slice(0, t, std::min<int64_t>(t + 8, lq.size(0))));
        }
        // A reference-padded input (F = 8n+1 frames) has F-4 outputs, like the official pipeline.
        stream.finish({}, referencePadded ? std::max<int64_t>(1, lq.size(0) - 4) : -1);
        auto frames = stream.take();  // (n, 3, H, W)
        out["output.frames"] =
            frames.permute({1, 0, 2, 3}).to(torch::kCPU).contiguous();  // (3,n,H,W)
        summary.inputFrames = lq.size(0);
        summary.outputFrames = frames.size(0);
        summary.chunks = stream.chunksRun();
        summary.emptyQueryBlocks = stream.attentionStats().emptyQueryBlocks;
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::Internal, e.what_without_backtrace());
    } catch (const std::exception& e) {
        return core::makeError(core::ErrorCode::Internal, e.what());
    }
    summary.tapCount = static_cast<int64_t>(out.size()) - 1;
    if (auto st = writeSafeTensors(request.outPath, out); !st) {
        return st.error();
    }
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary;
}

}  // namespace fvs::gpu
