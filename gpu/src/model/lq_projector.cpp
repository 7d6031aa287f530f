#include "model/lq_projector.h"

#include <cmath>

namespace fvs::gpu {

namespace {

constexpr int64_t kCacheFrames = 2;  // CACHE_T of the reference

torch::Tensor requireWeight(const TensorMap& weights, const std::string& key, int64_t dims) {
    const auto it = weights.find(key);
    TORCH_CHECK(it != weights.end() && it->second.defined(), "LQ projector weights: missing '", key,
                "'");
    TORCH_CHECK(it->second.dim() == dims, "LQ projector weights: '", key, "' has shape ",
                it->second.sizes(), ", expected ", dims, " dimensions");
    return it->second;
}

// 'b c (f 1) (h 16) (w 16) -> b (c 1 16 16) f h w': channel index c*256 + hy*16 + wx.
torch::Tensor pixelUnshuffle(const torch::Tensor& x, int64_t factor) {
    const int64_t b = x.size(0), c = x.size(1), t = x.size(2);
    const int64_t h = x.size(3) / factor, w = x.size(4) / factor;
    auto y = x.view({b, c, t, h, factor, w, factor});     // (b, c, t, h, 16, w, 16)
    y = y.permute({0, 1, 4, 6, 2, 3, 5});                 // (b, c, 16, 16, t, h, w)
    return y.reshape({b, c * factor * factor, t, h, w});  // (b, c*256, t, h, w)
}

// CausalConv3d of the LQ projector: cache frames in front, the remaining temporal pad (2 - cache)
// and the spatial pad 1 are REPLICATE padding.
torch::Tensor causalConvReplicate(torch::nn::Conv3d& conv, torch::Tensor x,
                                  const torch::Tensor& cache) {
    int64_t padT = kCacheFrames;
    if (cache.defined()) {
        x = torch::cat({cache, x}, 2);  // (b, c, cache + t, h, w)
        padT -= cache.size(2);
    }
    namespace F = torch::nn::functional;
    x = F::pad(x, F::PadFuncOptions({1, 1, 1, 1, padT, 0}).mode(torch::kReplicate));
    return conv->forward(x);
}

// RMS_norm(images=False): F.normalize over channels (eps 1e-12) * sqrt(C) * gamma.
torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& gamma) {
    namespace F = torch::nn::functional;
    const double scale = std::sqrt(static_cast<double>(x.size(1)));
    return F::normalize(x, F::NormalizeFuncOptions().dim(1)) * scale * gamma;
}

}  // namespace

core::Result<LqProjectorConfig> LqProjectorConfig::fromWeights(const TensorMap& weights,
                                                               LqProjectorVersion version) {
    try {
        const auto conv1 = requireWeight(weights, "conv1.weight", 5);
        const auto conv2 = requireWeight(weights, "conv2.weight", 5);
        const auto linear = requireWeight(weights, "linear_layers.0.weight", 2);
        LqProjectorConfig config;
        config.version = version;
        const int64_t unshuffled = conv1.size(1);
        TORCH_CHECK(unshuffled % (config.unshuffle * config.unshuffle) == 0,
                    "LQ projector weights: conv1.weight ", conv1.sizes(),
                    " input channels are not a multiple of 16*16");
        config.inChannels = unshuffled / (config.unshuffle * config.unshuffle);
        config.hidden1 = conv1.size(0);
        config.hidden2 = conv2.size(0);
        config.outDim = linear.size(0);
        TORCH_CHECK(conv2.size(1) == config.hidden1 && linear.size(1) == config.hidden2,
                    "LQ projector weights: inconsistent widths conv1 ", conv1.sizes(), ", conv2 ",
                    conv2.sizes(), ", linear ", linear.sizes());
        return config;
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::ModelError, e.what_without_backtrace());
    }
}

void LqProjectorState::reset() {
    cache1 = torch::Tensor();
    cache2 = torch::Tensor();
    clipIndex = 0;
}

LqProjectorImpl::LqProjectorImpl(const LqProjectorConfig& config) : m_config(config) {
    const int64_t unshuffled = config.inChannels * config.unshuffle * config.unshuffle;
    auto convOptions = [](int64_t in, int64_t out) {
        return torch::nn::Conv3dOptions(in, out, {4, 3, 3}).stride({2, 1, 1}).padding(0);
    };
    m_conv1 = register_module("conv1", torch::nn::Conv3d(convOptions(unshuffled, config.hidden1)));
    m_conv2 =
        register_module("conv2", torch::nn::Conv3d(convOptions(config.hidden1, config.hidden2)));
    auto norm1 = register_module("norm1", std::make_shared<torch::nn::Module>());
    m_gamma1 = norm1->register_parameter("gamma", torch::ones({config.hidden1, 1, 1, 1}));
    auto norm2 = register_module("norm2", std::make_shared<torch::nn::Module>());
    m_gamma2 = norm2->register_parameter("gamma", torch::ones({config.hidden2, 1, 1, 1}));
    auto linearLayers = register_module("linear_layers", torch::nn::ModuleList());
    m_linear = torch::nn::Linear(config.hidden2, config.outDim);
    linearLayers->push_back(m_linear);
}

std::optional<torch::Tensor> LqProjectorImpl::streamClip(const torch::Tensor& clip,
                                                         LqProjectorState& state) {
    torch::NoGradGuard noGrad;
    const int64_t unit = m_config.unshuffle;
    TORCH_CHECK(clip.dim() == 5 && clip.size(0) == 1 && clip.size(1) == m_config.inChannels,
                "LQ projector: expected a clip (1, ", m_config.inChannels, ", T, H, W), got ",
                clip.sizes());
    TORCH_CHECK(clip.size(3) % unit == 0 && clip.size(4) % unit == 0,
                "LQ projector: H and W must be multiples of ", unit, ", got ", clip.sizes());
    const bool priming = state.clipIndex == 0;
    TORCH_CHECK(clip.size(2) == (priming ? 1 : 4), "LQ projector: the ",
                priming ? "priming call takes 1 frame" : "streaming calls take 4 frames",
                ", got a clip of shape ", clip.sizes());
    const auto weightOptions = m_conv1->weight.options();
    auto video = clip.to(weightOptions.device(), weightOptions.dtype().toScalarType());
    if (priming) {
        video = video.repeat({1, 1, 4, 1, 1});  // (1, 3, 4, H, W): frame 0 with 3 copies in front
        state.cache1 = torch::Tensor();
        state.cache2 = torch::Tensor();
    }

    auto x = pixelUnshuffle(video, unit);                     // (1, 3*256, 4, h, w)
    const auto ownTail1 = x.slice(2, -kCacheFrames).clone();  // (1, 768, 2, h, w)
    // v1 (Buffer_LQ4x_Proj) overwrites the cache with the current clip's tail BEFORE the conv, so
    // each clip is projected on its own; v1.1 (Causal_LQ4x_Proj) uses the previous clip's tail.
    if (m_config.version == LqProjectorVersion::V1)
        state.cache1 = ownTail1;
    x = causalConvReplicate(m_conv1, x, state.cache1);  // (1, hidden1, 2, h, w)
    state.cache1 = ownTail1;
    x = torch::silu(rmsNorm(x, m_gamma1));
    const auto ownTail2 = x.slice(2, -kCacheFrames).clone();  // (1, hidden1, 2, h, w)
    if (priming) {
        state.cache2 = ownTail2;
        state.clipIndex = 1;
        return std::nullopt;
    }
    if (m_config.version == LqProjectorVersion::V1)
        state.cache2 = ownTail2;
    x = causalConvReplicate(m_conv2, x, state.cache2);  // (1, hidden2, 1, h, w)
    state.cache2 = ownTail2;
    x = torch::silu(rmsNorm(x, m_gamma2));
    x = x.flatten(2).transpose(1, 2);  // 'b c f h w -> b (f h w) c': (1, h*w, hidden2)
    ++state.clipIndex;
    return m_linear->forward(x);  // (1, h*w, outDim)
}

torch::Tensor LqProjectorImpl::projectFrames(const torch::Tensor& frames, LqProjectorState& state) {
    TORCH_CHECK(frames.dim() == 5, "LQ projector: expected frames (1, 3, T, H, W), got ",
                frames.sizes());
    int64_t start = 0;
    if (state.clipIndex == 0) {
        TORCH_CHECK(frames.size(2) >= 1, "LQ projector: no frames");
        streamClip(frames.slice(2, 0, 1), state);  // priming call, returns nothing
        start = 1;
    }
    const int64_t remaining = frames.size(2) - start;
    TORCH_CHECK(remaining > 0 && remaining % 4 == 0, "LQ projector: expected ",
                start == 1 ? "1 + 4m" : "4m", " frames (m >= 1), got ", frames.sizes());
    std::vector<torch::Tensor> tokens;
    for (int64_t t = start; t < frames.size(2); t += 4)
        tokens.push_back(*streamClip(frames.slice(2, t, t + 4), state));  // (1, h*w, outDim)
    return torch::cat(tokens, 1);  // (1, m*h*w, outDim), order (f, h, w)
}

core::Result<LqProjector> loadLqProjector(const TensorMap& weights, LqProjectorVersion version,
                                          const std::string& fileLabel) {
    auto config = LqProjectorConfig::fromWeights(weights, version);
    if (!config)
        return core::makeError(config.error().code, fileLabel + ": " + config.error().message);
    LqProjector projector(*config);
    if (auto status = loadStateDict(*projector, weights, fileLabel); !status)
        return status.error();
    projector->eval();
    return projector;
}

}  // namespace fvs::gpu
