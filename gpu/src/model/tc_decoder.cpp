#include "model/tc_decoder.h"

namespace fvs::gpu {

namespace {

constexpr int64_t kLayerCount = 27;
constexpr int64_t kCondFrames = 4;   // cond frames packed per latent frame
constexpr int64_t kCondSpatial = 8;  // cond pixels packed per latent pixel (each axis)

enum class Kind { Clamp, Conv, ReLU, MemBlock, Upsample, TGrow };

torch::Tensor requireWeight(const TensorMap& weights, const std::string& key) {
    const auto it = weights.find(key);
    TORCH_CHECK(it != weights.end() && it->second.defined(), "TC decoder weights: missing '", key,
                "'");
    TORCH_CHECK(it->second.dim() == 4, "TC decoder weights: '", key, "' has shape ",
                it->second.sizes(), ", expected a 4-D conv weight");
    return it->second;
}

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, bool bias) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(bias));
}

// 'b c (f 4) (h 8) (w 8) -> b (c 4 8 8) f h w': channel index c*256 + ft*64 + hy*8 + wx.
torch::Tensor packCond(const torch::Tensor& cond) {
    const int64_t b = cond.size(0), c = cond.size(1);
    const int64_t f = cond.size(2) / kCondFrames;
    const int64_t h = cond.size(3) / kCondSpatial, w = cond.size(4) / kCondSpatial;
    auto y =
        cond.view({b, c, f, kCondFrames, h, kCondSpatial, w, kCondSpatial});  // (b,c,f,4,h,8,w,8)
    y = y.permute({0, 1, 3, 5, 7, 2, 4, 6});  // (b, c, 4, 8, 8, f, h, w)
    return y.reshape({b, c * kCondFrames * kCondSpatial * kCondSpatial, f, h, w});  // (b,768,f,h,w)
}

// Nearest ×2 of a channels-last (n, C, h, w): one copy, (n, C, 2h, 2w) channels-last.
torch::Tensor upsampleNearest2xChannelsLast(const torch::Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    return x
        .permute({0, 2, 3, 1})  // (n, h, w, C) contiguous view
        .view({n, h, 1, w, 1, c})
        .expand({n, h, 2, w, 2, c})
        .reshape({n, 2 * h, 2 * w, c})  // (n, 2h, 2w, C) copy
        .permute({0, 3, 1, 2});         // (n, C, 2h, 2w) channels-last
}

}  // namespace

struct TcDecoderImpl::Layer {
    Kind kind = Kind::ReLU;
    torch::nn::Conv2d conv{nullptr};   // Conv, TGrow (1×1), MemBlock conv.0
    torch::nn::Conv2d conv2{nullptr};  // MemBlock conv.2
    torch::nn::Conv2d conv4{nullptr};  // MemBlock conv.4
    int64_t stride = 1;                // TGrow
    int memSlot = -1;                  // MemBlock: index into TcDecoderState::memory
};

core::Result<TcDecoderConfig> TcDecoderConfig::fromWeights(const TensorMap& weights) {
    try {
        TcDecoderConfig config;
        const auto first = requireWeight(weights, "decoder.1.weight");
        config.widths[0] = first.size(0);
        config.widths[1] = requireWeight(weights, "decoder.10.weight").size(0);
        config.widths[2] = requireWeight(weights, "decoder.16.weight").size(0);
        config.widths[3] = requireWeight(weights, "decoder.22.weight").size(0);
        TORCH_CHECK(first.size(1) > config.condChannels, "TC decoder weights: decoder.1.weight ",
                    first.sizes(), " has no room for the ", config.condChannels, " cond channels");
        config.latentChannels = first.size(1) - config.condChannels;
        const char* tgrowKeys[] = {"decoder.9.conv.weight", "decoder.15.conv.weight",
                                   "decoder.21.conv.weight"};
        for (int i = 0; i < 3; ++i) {
            const auto w = requireWeight(weights, tgrowKeys[i]);
            TORCH_CHECK(w.size(1) == config.widths[i] && w.size(0) % config.widths[i] == 0,
                        "TC decoder weights: '", tgrowKeys[i], "' has shape ", w.sizes(),
                        ", expected (s*", config.widths[i], ", ", config.widths[i], ", 1, 1)");
            config.timeStrides[i] = w.size(0) / config.widths[i];
        }
        return config;
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::ModelError, e.what_without_backtrace());
    }
}

void TcDecoderState::reset() {
    for (auto& m : memory)
        m = torch::Tensor();
    started = false;
}

TcDecoderImpl::TcDecoderImpl(const TcDecoderConfig& config) : m_config(config) {
    const auto& n = config.widths;
    auto decoder = register_module("decoder", std::make_shared<torch::nn::Module>());
    int memSlot = 0;
    auto add = [&](Kind kind) {
        auto layer = std::make_shared<Layer>();
        layer->kind = kind;
        m_layers.push_back(layer);
        return layer;
    };
    auto name = [&] { return std::to_string(m_layers.size() - 1); };
    auto addConv = [&](int64_t in, int64_t out, bool bias) {
        auto layer = add(Kind::Conv);
        layer->conv = decoder->register_module(name(), conv3x3(in, out, bias));
    };
    auto addMemBlocks = [&](int64_t c) {
        for (int i = 0; i < 3; ++i) {
            auto layer = add(Kind::MemBlock);
            auto block = decoder->register_module(name(), std::make_shared<torch::nn::Module>());
            auto seq = block->register_module("conv", std::make_shared<torch::nn::Module>());
            layer->conv = seq->register_module("0", conv3x3(2 * c, c, true));
            layer->conv2 = seq->register_module("2", conv3x3(c, c, true));
            layer->conv4 = seq->register_module("4", conv3x3(c, c, true));
            layer->memSlot = memSlot++;
        }
    };
    auto addTGrow = [&](int64_t c, int64_t stride) {
        auto layer = add(Kind::TGrow);
        layer->stride = stride;
        auto block = decoder->register_module(name(), std::make_shared<torch::nn::Module>());
        layer->conv = block->register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c * stride, 1).bias(false)));
    };
    // Index = checkpoint prefix decoder.N (spec §1.5); ReLUs are followed by the trained
    // "IdentityConv2d" deepening convs (no bias).
    add(Kind::Clamp);                                                  // 0
    addConv(config.condChannels + config.latentChannels, n[0], true);  // 1
    add(Kind::ReLU);                                                   // 2
    addConv(n[0], n[0], false);                                        // 3
    add(Kind::ReLU);                                                   // 4
    addMemBlocks(n[0]);                                                // 5, 6, 7
    add(Kind::Upsample);                                               // 8
    addTGrow(n[0], config.timeStrides[0]);                             // 9
    addConv(n[0], n[1], false);                                        // 10
    addMemBlocks(n[1]);                                                // 11, 12, 13
    add(Kind::Upsample);                                               // 14
    addTGrow(n[1], config.timeStrides[1]);                             // 15
    addConv(n[1], n[2], false);                                        // 16
    addMemBlocks(n[2]);                                                // 17, 18, 19
    add(Kind::Upsample);                                               // 20
    addTGrow(n[2], config.timeStrides[2]);                             // 21
    addConv(n[2], n[3], false);                                        // 22
    add(Kind::ReLU);                                                   // 23
    addConv(n[3], n[3], false);                                        // 24
    add(Kind::ReLU);                                                   // 25
    addConv(n[3], 3, true);                                            // 26
    TORCH_CHECK(static_cast<int64_t>(m_layers.size()) == kLayerCount && memSlot == 9,
                "TC decoder: layer list has ", m_layers.size(), " entries");
}

// Runs the layer list on x = (n, C, h, w), n consecutive time steps (n = 1 at the input). The
// reference walks this list depth-first one time step at a time; batching the sub-steps of one
// latent frame is equivalent because a MemBlock's past is just the previous time step's input.
// Each latent frame is one call, so chunking cannot change the arithmetic (stream == whole clip).
torch::Tensor TcDecoderImpl::runLayers(torch::Tensor x, TcDecoderState& state) {
    namespace F = torch::nn::functional;
    const bool channelsLast = m_channelsLast;
    if (channelsLast) {
        x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    for (size_t i = 0; i < m_layers.size(); ++i) {
        const auto& layer = m_layers[i];
        // Channels-last: a 1×1 TGrow commutes with the nearest Upsample before it, so it runs
        // first, at a quarter of the pixels (same per-pixel arithmetic).
        if (channelsLast && layer->kind == Kind::Upsample && i + 1 < m_layers.size() &&
            m_layers[i + 1]->kind == Kind::TGrow) {
            x = tgrow(x, *m_layers[i + 1], true);
        }
        switch (layer->kind) {
            case Kind::Clamp:
                x = torch::tanh(x / 3) * 3;
                break;
            case Kind::Conv:
                x = layer->conv->forward(x);
                break;
            case Kind::ReLU:
                x = torch::relu(x);
                break;
            case Kind::Upsample:
                if (channelsLast) {
                    // The TGrow after this Upsample already ran (below): only the upsample left.
                    x = upsampleNearest2xChannelsLast(x);
                } else {
                    x = F::interpolate(x, F::InterpolateFuncOptions()
                                              .scale_factor(std::vector<double>{2.0, 2.0})
                                              .mode(torch::kNearest));  // (n, C, 2h, 2w)
                }
                break;
            case Kind::TGrow:
                if (!channelsLast) {
                    x = tgrow(x, *layer, false);
                }
                break;
            case Kind::MemBlock: {
                auto& memory = state.memory[layer->memSlot];
                const auto previous =
                    memory.defined() ? memory : torch::zeros_like(x.slice(0, 0, 1));
                const auto past = torch::cat({previous, x.slice(0, 0, -1)}, 0);  // (n, C, h, w)
                memory = x.slice(0, -1).clone();                                 // (1, C, h, w)
                auto y =
                    layer->conv->forward(torch::cat({x, past}, 1));  // (n, 2C, h, w) → (n, C, h, w)
                y = layer->conv2->forward(torch::relu(y));
                y = layer->conv4->forward(torch::relu(y));
                x = torch::relu(y + x);
                break;
            }
        }
    }
    return x;
}

// TGrow: 1×1 conv to s·C channels; sub-step k of step i = channels [k·C, (k+1)·C).
torch::Tensor TcDecoderImpl::tgrow(const torch::Tensor& x, const Layer& layer, bool channelsLast) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    auto conv = layer.conv;     // the module holder (forward is not const)
    auto y = conv->forward(x);  // (n, s*C, h, w)
    if (!channelsLast) {
        return y.reshape({n * layer.stride, c, h, w});  // (n*s, C, h, w)
    }
    return y
        .permute({0, 2, 3, 1})  // (n, h, w, s*C)
        .view({n, h, w, layer.stride, c})
        .permute({0, 3, 1, 2, 4})              // (n, s, h, w, C)
        .reshape({n * layer.stride, h, w, c})  // copy
        .permute({0, 3, 1, 2});                // (n*s, C, h, w) channels-last
}

void TcDecoderImpl::useChannelsLast(bool on) {
    torch::NoGradGuard noGrad;
    for (auto& p : parameters()) {
        if (p.dim() == 4) {
            p.set_data(on ? p.contiguous(torch::MemoryFormat::ChannelsLast) : p.contiguous());
        }
    }
    m_channelsLast = on;
}

torch::Tensor TcDecoderImpl::decodeChunk(const torch::Tensor& latents, const torch::Tensor& cond,
                                         TcDecoderState& state) {
    torch::NoGradGuard noGrad;
    TORCH_CHECK(
        latents.dim() == 5 && latents.size(0) == 1 && latents.size(1) == m_config.latentChannels,
        "TC decoder: expected latents (1, ", m_config.latentChannels, ", T, h, w), got ",
        latents.sizes());
    TORCH_CHECK(
        cond.dim() == 5 && cond.size(0) == 1 &&
            cond.size(1) * kCondFrames * kCondSpatial * kCondSpatial == m_config.condChannels,
        "TC decoder: expected cond (1, 3, Fc, H, W), got ", cond.sizes());
    TORCH_CHECK(cond.size(3) == latents.size(3) * kCondSpatial &&
                    cond.size(4) == latents.size(4) * kCondSpatial,
                "TC decoder: cond ", cond.sizes(), " must be 8× the latent size ", latents.sizes());
    const int64_t latentFrames = latents.size(2);
    const int64_t condPad = (kCondFrames - cond.size(2) % kCondFrames) % kCondFrames;
    TORCH_CHECK(cond.size(2) > 0 && (cond.size(2) + condPad) / kCondFrames == latentFrames,
                "TC decoder: ", cond.size(2), " cond frames do not pack into ", latentFrames,
                " latent frames (latents ", latents.sizes(), ", cond ", cond.sizes(), ")");

    const auto options = m_layers[1]->conv->weight.options();
    auto c = cond.to(options.device(), options.dtype().toScalarType());
    if (condPad > 0) {
        const auto firstFrame = c.slice(2, 0, 1).expand({-1, -1, condPad, -1, -1});
        c = torch::cat({firstFrame, c}, 2);  // (1, 3, 4T, H, W)
    }
    const auto z = latents.to(options.device(), options.dtype().toScalarType());
    const auto input = torch::cat({packCond(c), z}, 1);  // (1, 768 + 16, T, h, w): cond first

    std::vector<torch::Tensor> frames;
    for (int64_t t = 0; t < latentFrames; ++t)
        frames.push_back(runLayers(input.select(2, t), state).contiguous());  // (4, 3, H, W)
    auto video = torch::cat(frames, 0);                                       // (4T, 3, H, W)
    if (!state.started) {
        int64_t trim = 1;
        for (auto s : m_config.timeStrides)
            trim *= s;
        video = video.slice(0, trim - 1);  // (4T - 3, 3, H, W): 2^2 - 1 frames trimmed once
        state.started = true;
    }
    return (video.transpose(0, 1).unsqueeze(0) * 2 - 1);  // (1, 3, F, H, W) in ≈[-1,1]
}

core::Result<TcDecoder> loadTcDecoder(const TensorMap& weights, const std::string& fileLabel) {
    auto config = TcDecoderConfig::fromWeights(weights);
    if (!config)
        return core::makeError(config.error().code, fileLabel + ": " + config.error().message);
    TcDecoder decoder(*config);
    if (auto status = loadStateDict(*decoder, weights, fileLabel); !status)
        return status.error();
    decoder->eval();
    return decoder;
}

}  // namespace fvs::gpu
