#include "model/wan_vae_decoder.h"

#include <cmath>
#include <numeric>

namespace fvs::gpu {

namespace {

namespace F = torch::nn::functional;

constexpr int64_t kCacheFrames = 2;  // CACHE_T of the reference

// Wan 2.1 latent statistics (spec §1.6).
constexpr float kLatentMean[16] = {-0.7571f, -0.7089f, -0.9113f, 0.1075f,  -0.1745f, 0.9653f,
                                   -0.1517f, 1.5508f,  0.4134f,  -0.0715f, 0.5517f,  -0.3632f,
                                   -0.1922f, -0.9497f, 0.2503f,  -0.2921f};
constexpr float kLatentStd[16] = {2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f,
                                  2.6052f, 2.0743f, 3.2687f, 2.1526f, 2.8652f, 1.5579f,
                                  1.6382f, 1.1253f, 2.8251f, 1.9160f};

enum class Kind { Residual, Attention, Upsample2d, Upsample3d };

bool has(const TensorMap& weights, const std::string& key) {
    return weights.count(key) > 0;
}

torch::Tensor requireWeight(const TensorMap& weights, const std::string& key) {
    const auto it = weights.find(key);
    TORCH_CHECK(it != weights.end() && it->second.defined() && it->second.dim() >= 1,
                "Wan VAE weights: missing '", key, "'");
    return it->second;
}

// RMS_norm: F.normalize over channels (eps 1e-12) * sqrt(C) * gamma.
torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& gamma) {
    const double scale = std::sqrt(static_cast<double>(x.size(1)));
    return F::normalize(x, F::NormalizeFuncOptions().dim(1)) * scale * gamma;
}

torch::nn::Conv3d conv3d(int64_t in, int64_t out, std::vector<int64_t> kernel) {
    return torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).padding(0));
}

// CausalConv3d of the VAE: ZERO padding; temporal left pad 2*pt shrinks by the cached frames.
torch::Tensor causalConv(torch::nn::Conv3d& conv, torch::Tensor x, const torch::Tensor& cache) {
    const auto& k = conv->options.kernel_size();
    const int64_t padT = 2 * ((*k)[0] / 2), padH = (*k)[1] / 2, padW = (*k)[2] / 2;
    int64_t left = padT;
    if (cache.defined() && padT > 0) {
        x = torch::cat({cache, x}, 2);  // (b, c, cache + t, h, w)
        left -= cache.size(2);
    }
    if (left > 0 || padH > 0 || padW > 0)
        x = F::pad(x, F::PadFuncOptions({padW, padW, padH, padH, left, 0}));
    return conv->forward(x);
}

// 'b c t h w -> (b t) c h w' and back.
torch::Tensor toFrames(const torch::Tensor& x) {
    return x.permute({0, 2, 1, 3, 4}).reshape({-1, x.size(1), x.size(3), x.size(4)});
}
torch::Tensor fromFrames(const torch::Tensor& y, int64_t b) {
    return y.reshape({b, -1, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4});
}

}  // namespace

struct WanVaeDecoderImpl::Block {
    Kind kind = Kind::Residual;
    // Residual: residual.0.gamma, residual.2 (cached), residual.3.gamma, residual.6 (cached),
    // optional shortcut (1×1×1, uncached).
    torch::Tensor gamma0, gamma3;
    torch::nn::Conv3d convA{nullptr}, convB{nullptr}, shortcut{nullptr};
    int64_t slotA = -1, slotB = -1;
    // Attention: norm.gamma (C,1,1), to_qkv, proj.  Upsample: resample.1 conv, time_conv.
    torch::Tensor gamma;
    torch::nn::Conv2d qkv{nullptr}, proj{nullptr}, resample{nullptr};
    torch::nn::Conv3d timeConv{nullptr};
    int64_t slotTime = -1;
};

core::Result<WanVaeDecoderConfig> WanVaeDecoderConfig::fromWeights(const TensorMap& weights) {
    try {
        WanVaeDecoderConfig config;
        config.zDim = requireWeight(weights, "conv2.weight").size(0);
        std::vector<int64_t> dims{requireWeight(weights, "decoder.conv1.weight").size(0)};
        std::vector<int64_t> stageBlocks{0};
        config.temporalUpsample.clear();
        for (int i = 0;; ++i) {
            const std::string p = "decoder.upsamples." + std::to_string(i) + ".";
            if (has(weights, p + "residual.2.weight")) {
                if (stageBlocks.back() == 0)
                    dims.push_back(requireWeight(weights, p + "residual.2.weight").size(0));
                ++stageBlocks.back();
            } else if (has(weights, p + "resample.1.weight")) {
                config.temporalUpsample.push_back(has(weights, p + "time_conv.weight"));
                stageBlocks.push_back(0);
            } else if (has(weights, p + "norm.gamma")) {
                TORCH_CHECK(false, "Wan VAE weights: attention blocks in decoder.upsamples (", p,
                            ") are not supported");
            } else {
                break;
            }
        }
        TORCH_CHECK(stageBlocks.size() >= 2 && stageBlocks.back() > 0,
                    "Wan VAE weights: decoder.upsamples has an unexpected layout");
        for (auto n : stageBlocks)
            TORCH_CHECK(n == stageBlocks.front(), "Wan VAE weights: stages have different ",
                        "numbers of residual blocks");
        config.numResBlocks = stageBlocks.front() - 1;
        int64_t dim = 0;
        for (auto d : dims)
            dim = std::gcd(dim, d);
        config.dim = dim;
        config.dimMult.assign(dims.rbegin(), dims.rend() - 1);  // dims[1:] reversed
        for (auto& m : config.dimMult)
            m /= dim;
        return config;
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::ModelError, e.what_without_backtrace());
    }
}

void WanVaeDecoderState::reset() {
    cache.clear();
    rep.clear();
    started = false;
}

WanVaeDecoderImpl::WanVaeDecoderImpl(const WanVaeDecoderConfig& config) : m_config(config) {
    const auto& mult = config.dimMult;
    TORCH_CHECK(!mult.empty() && config.temporalUpsample.size() + 1 == mult.size(),
                "Wan VAE decoder: dimMult ", mult.size(), " entries vs temporalUpsample ",
                config.temporalUpsample.size());
    std::vector<int64_t> dims{config.dim * mult.back()};  // [mult[-1]] + mult[::-1]
    for (auto it = mult.rbegin(); it != mult.rend(); ++it)
        dims.push_back(config.dim * *it);

    m_conv2 = register_module("conv2", conv3d(config.zDim, config.zDim, {1, 1, 1}));
    auto decoder = register_module("decoder", std::make_shared<torch::nn::Module>());
    m_conv1 = decoder->register_module("conv1", conv3d(config.zDim, dims[0], {3, 3, 3}));
    m_conv1Slot = m_cacheSlots++;

    auto addResidual = [&](torch::nn::Module& parent, const std::string& name, int64_t in,
                           int64_t out) {
        auto b = std::make_shared<Block>();
        b->kind = Kind::Residual;
        auto module = parent.register_module(name, std::make_shared<torch::nn::Module>());
        auto residual = module->register_module("residual", std::make_shared<torch::nn::Module>());
        b->gamma0 = residual->register_module("0", std::make_shared<torch::nn::Module>())
                        ->register_parameter("gamma", torch::ones({in, 1, 1, 1}));
        b->convA = residual->register_module("2", conv3d(in, out, {3, 3, 3}));
        b->slotA = m_cacheSlots++;
        b->gamma3 = residual->register_module("3", std::make_shared<torch::nn::Module>())
                        ->register_parameter("gamma", torch::ones({out, 1, 1, 1}));
        b->convB = residual->register_module("6", conv3d(out, out, {3, 3, 3}));
        b->slotB = m_cacheSlots++;
        if (in != out)
            b->shortcut = module->register_module("shortcut", conv3d(in, out, {1, 1, 1}));
        m_blocks.push_back(b);
    };

    auto middle = decoder->register_module("middle", std::make_shared<torch::nn::Module>());
    addResidual(*middle, "0", dims[0], dims[0]);
    {
        auto b = std::make_shared<Block>();
        b->kind = Kind::Attention;
        const int64_t c = dims[0];
        auto module = middle->register_module("1", std::make_shared<torch::nn::Module>());
        b->gamma = module->register_module("norm", std::make_shared<torch::nn::Module>())
                       ->register_parameter("gamma", torch::ones({c, 1, 1}));
        b->qkv = module->register_module("to_qkv",
                                         torch::nn::Conv2d(torch::nn::Conv2dOptions(c, 3 * c, 1)));
        b->proj =
            module->register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c, 1)));
        m_blocks.push_back(b);
    }
    addResidual(*middle, "2", dims[0], dims[0]);

    auto upsamples = decoder->register_module("upsamples", std::make_shared<torch::nn::Module>());
    int index = 0;
    for (size_t i = 0; i + 1 < dims.size(); ++i) {
        int64_t in = dims[i];
        const int64_t out = dims[i + 1];
        if (i >= 1 && i <= 3)
            in /= 2;  // the reference's layout: the previous Resample halves C
        for (int64_t r = 0; r < config.numResBlocks + 1; ++r) {
            addResidual(*upsamples, std::to_string(index++), in, out);
            in = out;
        }
        if (i + 2 < dims.size()) {
            auto b = std::make_shared<Block>();
            b->kind = config.temporalUpsample[i] ? Kind::Upsample3d : Kind::Upsample2d;
            auto module = upsamples->register_module(std::to_string(index++),
                                                     std::make_shared<torch::nn::Module>());
            b->resample =
                module->register_module("resample", std::make_shared<torch::nn::Module>())
                    ->register_module(
                        "1",
                        torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out / 2, 3).padding(1)));
            if (b->kind == Kind::Upsample3d) {
                b->timeConv = module->register_module("time_conv", conv3d(out, out * 2, {3, 1, 1}));
                b->slotTime = m_cacheSlots++;
            }
            m_blocks.push_back(b);
        }
    }
    auto head = decoder->register_module("head", std::make_shared<torch::nn::Module>());
    m_headGamma = head->register_module("0", std::make_shared<torch::nn::Module>())
                      ->register_parameter("gamma", torch::ones({dims.back(), 1, 1, 1}));
    m_headConv = head->register_module("2", conv3d(dims.back(), 3, {3, 3, 3}));
    m_headSlot = m_cacheSlots++;
}

namespace {

// The feat_cache protocol of one cached conv: remember the last 2 frames of its input (padding a
// 1-frame input with the last cached frame), run with the previous cache.
torch::Tensor cachedConv(torch::nn::Conv3d& conv, const torch::Tensor& x, int64_t slot,
                         WanVaeDecoderState& state) {
    auto& cache = state.cache[slot];
    auto cacheNew = x.slice(2, -kCacheFrames).clone();  // (b, c, <=2, h, w)
    if (cacheNew.size(2) < kCacheFrames && cache.defined())
        cacheNew = torch::cat({cache.slice(2, -1), cacheNew}, 2);  // (b, c, 2, h, w)
    auto y = causalConv(conv, x, cache);
    cache = cacheNew;
    return y;
}

}  // namespace

torch::Tensor WanVaeDecoderImpl::decodeFrame(torch::Tensor x, WanVaeDecoderState& state) {
    x = cachedConv(m_conv1, x, m_conv1Slot, state);  // (1, C0, t, h, w)
    for (const auto& b : m_blocks) {
        switch (b->kind) {
            case Kind::Residual: {
                const auto h = b->shortcut ? b->shortcut->forward(x) : x;
                auto y = torch::silu(rmsNorm(x, b->gamma0));
                y = cachedConv(b->convA, y, b->slotA, state);
                y = torch::silu(rmsNorm(y, b->gamma3));
                y = cachedConv(b->convB, y, b->slotB, state);
                x = y + h;
                break;
            }
            case Kind::Attention: {
                const int64_t n = x.size(0), c = x.size(1), hh = x.size(3), ww = x.size(4);
                auto y = rmsNorm(toFrames(x), b->gamma);  // (n*t, c, h, w)
                const int64_t frames = y.size(0);
                auto qkv = b->qkv->forward(y).reshape({frames, 1, 3 * c, hh * ww});  // (bt,1,3c,hw)
                qkv = qkv.permute({0, 1, 3, 2}).contiguous();  // (bt, 1, hw, 3c)
                auto parts = qkv.chunk(3, -1);                 // 3 × (bt, 1, hw, c)
                y = at::scaled_dot_product_attention(parts[0], parts[1], parts[2]);  // (bt,1,hw,c)
                y = y.squeeze(1).permute({0, 2, 1}).reshape({frames, c, hh, ww});  // (bt, c, h, w)
                y = b->proj->forward(y);
                x = fromFrames(y, n) + x;  // (n, c, t, h, w)
                break;
            }
            case Kind::Upsample3d: {
                // First step: mark 'Rep' and skip the temporal doubling (latent 0 → 1 frame).
                if (!state.cache[b->slotTime].defined() && !state.rep[b->slotTime]) {
                    state.rep[b->slotTime] = true;
                } else {
                    const bool rep = state.rep[b->slotTime];
                    auto& cache = state.cache[b->slotTime];
                    auto cacheNew = x.slice(2, -kCacheFrames).clone();
                    if (cacheNew.size(2) < kCacheFrames)
                        cacheNew = torch::cat(
                            {rep ? torch::zeros_like(cacheNew) : cache.slice(2, -1), cacheNew}, 2);
                    auto y = causalConv(b->timeConv, x, rep ? torch::Tensor() : cache);
                    cache = cacheNew;
                    state.rep[b->slotTime] = false;
                    const int64_t n = x.size(0), c = x.size(1), t = x.size(2);
                    y = y.view({n, 2, c, t, x.size(3), x.size(4)});         // (n, 2, c, t, h, w)
                    y = torch::stack({y.select(1, 0), y.select(1, 1)}, 3);  // (n, c, t, 2, h, w)
                    x = y.reshape({n, c, t * 2, x.size(3), x.size(4)});     // (n, c, 2t, h, w)
                }
                [[fallthrough]];
            }
            case Kind::Upsample2d: {
                const int64_t n = x.size(0);
                auto y = toFrames(x);  // (n*t, c, h, w)
                // nearest-exact in fp32, as the reference does for bf16 support. The ATen op
                // directly: the C++ frontend's interpolate warns about align_corners for this mode
                // on every call.
                y = at::_upsample_nearest_exact2d(y.to(torch::kFloat32),
                                                  {2 * y.size(2), 2 * y.size(3)}, 2.0, 2.0)
                        .to(x.scalar_type());  // (n*t, c, 2h, 2w)
                y = b->resample->forward(y);   // (n*t, c/2, 2h, 2w)
                x = fromFrames(y, n);          // (n, c/2, t, 2h, 2w)
                break;
            }
        }
    }
    x = torch::silu(rmsNorm(x, m_headGamma));
    return cachedConv(m_headConv, x, m_headSlot, state);  // (1, 3, t, 8h, 8w)
}

torch::Tensor WanVaeDecoderImpl::decodeChunk(const torch::Tensor& latents,
                                             WanVaeDecoderState& state) {
    torch::NoGradGuard noGrad;
    TORCH_CHECK(latents.dim() == 5 && latents.size(0) == 1 && latents.size(1) == m_config.zDim,
                "Wan VAE decoder: expected latents (1, ", m_config.zDim, ", T, h, w), got ",
                latents.sizes());
    TORCH_CHECK(latents.size(2) > 0, "Wan VAE decoder: no latent frames in ", latents.sizes());
    if (!state.started) {
        state.cache.assign(m_cacheSlots, torch::Tensor());
        state.rep.assign(m_cacheSlots, false);
        state.started = true;
    }
    TORCH_CHECK(static_cast<int64_t>(state.cache.size()) == m_cacheSlots,
                "Wan VAE decoder: session state has ", state.cache.size(), " slots, expected ",
                m_cacheSlots);
    const auto options = m_conv2->weight.options();
    auto z = latents.to(options.device(), options.dtype().toScalarType());
    const int64_t zDim = m_config.zDim;
    TORCH_CHECK(zDim == 16, "Wan VAE decoder: latent statistics exist for 16 channels, got ", zDim);
    const auto mean = torch::from_blob(const_cast<float*>(kLatentMean), {zDim}, torch::kFloat32);
    const auto std = torch::from_blob(const_cast<float*>(kLatentStd), {zDim}, torch::kFloat32);
    // The reference divides by 1/std (fp32), cast to the latent dtype.
    const auto invStd = (1.0 / std).to(z.options()).view({1, zDim, 1, 1, 1});
    z = z / invStd + mean.to(z.options()).view({1, zDim, 1, 1, 1});  // (1, 16, T, h, w)
    const auto x = m_conv2->forward(z);

    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < x.size(2); ++i)
        out.push_back(decodeFrame(x.slice(2, i, i + 1), state));  // (1, 3, 1 or 4, 8h, 8w)
    return torch::cat(out, 2).clamp(-1, 1);                       // (1, 3, frames, 8h, 8w)
}

core::Result<WanVaeDecoder> loadWanVaeDecoder(const TensorMap& weights,
                                              const std::string& fileLabel) {
    auto config = WanVaeDecoderConfig::fromWeights(weights);
    if (!config)
        return core::makeError(config.error().code, fileLabel + ": " + config.error().message);
    // Only the decoder path is used; encoder.* and conv1.* stay in the file.
    TensorMap used;
    for (const auto& [key, value] : weights)
        if (key.rfind("decoder.", 0) == 0 || key.rfind("conv2.", 0) == 0)
            used.emplace(key, value);
    try {
        WanVaeDecoder decoder(*config);
        if (auto status = loadStateDict(*decoder, used, fileLabel); !status)
            return status.error();
        decoder->eval();
        return decoder;
    } catch (const c10::Error& e) {
        return core::makeError(core::ErrorCode::ModelError,
                               fileLabel + ": " + e.what_without_backtrace());
    }
}

}  // namespace fvs::gpu
