#include "engine/flashvsr_stream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "engine/lq_input.h"
#include "engine/memory_plan.h"
#include "engine/stage_profiler.h"
#include "fvs/gpu/device_info.h"
#include "model/color_fix.h"
#include "model/sparse_attention.h"

namespace fvs::gpu {
namespace {

constexpr int64_t kAlign = 128;  // DiT window 2×8×8 tokens = 128 px per side (spec §2.1)

int64_t alignUp(int64_t v) {
    return (v + kAlign - 1) / kAlign * kAlign;
}

std::string gib(int64_t bytes) {
    std::ostringstream out;
    out.precision(1);
    out << std::fixed << static_cast<double>(bytes) / (1LL << 30) << " GiB";
    return out.str();
}

}  // namespace

// StreamOptions::profile: the wall time of each stage of a chunk, the device synchronised at every
// mark, as one stderr line per chunk.
class FlashVsrStream::ChunkTimer {
public:
    ChunkTimer(bool on, const torch::Device& device) : m_on(on), m_device(device) {}
    void item(const char* stage, double ms) {
        char text[64];
        std::snprintf(text, sizeof text, " %s %.1f ms", stage, ms);
        m_text += text;
    }
    void count(const char* what, int64_t n) {
        char text[64];
        std::snprintf(text, sizeof text, " %s %lld", what, static_cast<long long>(n));
        m_text += text;
    }
    void mark(const char* stage) {
        if (m_on) {
            item(stage, StageProfiler::lapMs(m_last, m_device));
        }
    }
    bool on() const { return m_on; }
    std::chrono::steady_clock::time_point started() const { return m_started; }
    const std::string& text() const { return m_text; }

private:
    bool m_on;
    torch::Device m_device;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_last = m_started;
    std::string m_text;
};

FlashVsrStream::FlashVsrStream(std::shared_ptr<const FlashVsrModel> model, StreamOptions options)
    : m_model(std::move(model)), m_options(options), m_generator(at::detail::createCPUGenerator()) {
    TORCH_CHECK(m_model != nullptr, "FlashVsrStream needs a model");
}

int64_t FlashVsrStream::estimateSessionBytes(const WanConfig& c, int64_t hp, int64_t wp,
                                             torch::Dtype dtype, int64_t kvGroups,
                                             int64_t attentionScratch, bool decoderOverlap) {
    const SessionBytes s =
        estimateSessionMemory(c, hp, wp, dtype, kvGroups, attentionScratch, decoderOverlap);
    return s.persistent + s.transient;
}

SessionBytes FlashVsrStream::estimateSessionMemory(const WanConfig& c, int64_t hp, int64_t wp,
                                                   torch::Dtype dtype, int64_t kvGroups,
                                                   int64_t attentionScratch, bool decoderOverlap) {
    const int64_t e = dtype == torch::kFloat32 ? 4 : 2;
    const int64_t tokens1 = (hp / 16) * (wp / 16);  // tokens per latent frame
    const int64_t chunk0 = 6 * tokens1;
    const int64_t groups = std::max<int64_t>(kvGroups, 2) + 1;  // cache + current group
    const int64_t kv = c.numLayers * 2 * groups * 2 * tokens1 * c.dim * e;
    // Live activations of one block on chunk 0: x, q, k, v, windows, attention out, FFN hidden,
    // plus the float64 RoPE temporaries of q/k.
    const int64_t act = chunk0 * (12 * c.dim * e + 2 * c.ffnDim * e + 2 * c.dim * 8);
    const int64_t attention = attentionScratch;
    // LQ projector on 4 frames at 1/16 (768 → 2048 → 3072 channels) and the decoder at 1/8..1/1.
    const int64_t projector = 6 * tokens1 * (768 + 2 * 2048 + 3072) * e;
    const int64_t decoderMemory = (hp / 8) * (wp / 8) * 1024 * e * 3;
    const int64_t decodedFrames = 21LL * 3 * hp * wp * 4 * 3;
    const int64_t io = 34LL * 3 * hp * wp * e;  // look-ahead window of input frames
    // Kept between chunks: the caches, the input window, the decoder's memory and, with the
    // overlap, the chunk still decoding on the side stream.
    const int64_t overlapped = decoderOverlap ? decoderMemory + decodedFrames : 0;
    return {kv + io + decoderMemory + overlapped, act + attention + projector + decodedFrames};
}

core::Status FlashVsrStream::configure(int64_t height, int64_t width) {
    if (height <= 0 || width <= 0 || height > 16384 || width > 16384) {
        return core::makeError(core::ErrorCode::InvalidArgument,
                               "output size " + std::to_string(width) + "x" +
                                   std::to_string(height) + " is outside 1..16384");
    }
    const auto& opts = m_model->options();
    const int64_t hp = alignUp(height), wp = alignUp(width);
    if (opts.device.is_cuda()) {
        const auto device = queryDevice();
        const int64_t need =
            estimateSessionBytes(m_model->dit()->config(), hp, wp, opts.dtype, m_options.kvGroups(),
                                 attentionScratchBytes(opts, m_options), overlapDecoding());
        if (device.freeMemoryBytes > 0 && need > device.freeMemoryBytes) {
            // Memory grows about linearly with the pixel count: scale both sides equally.
            const double s = std::sqrt(static_cast<double>(device.freeMemoryBytes) / need);
            const int64_t fitW =
                std::max<int64_t>(kAlign, static_cast<int64_t>(wp * s) / kAlign * kAlign);
            const int64_t fitH =
                std::max<int64_t>(kAlign, static_cast<int64_t>(hp * s) / kAlign * kAlign);
            return core::makeError(
                core::ErrorCode::OutOfMemory,
                "FlashVSR at " + std::to_string(width) + "x" + std::to_string(height) +
                    " needs about " + gib(need) + " of device memory but " +
                    gib(device.freeMemoryBytes) + " is free; about " + std::to_string(fitW) + "x" +
                    std::to_string(fitH) + " would fit (or use a smaller scale)");
        }
    }
    m_height = height;
    m_width = width;
    m_paddedHeight = hp;
    m_paddedWidth = wp;
    reset();
    return {};
}

void FlashVsrStream::reset() {
    if (m_decoder) {
        m_decoder->drain();  // the side stream may still use the decoder state dropped below
    }
    m_parked = false;  // the state below is dropped wherever it is
    m_pending.clear();
    m_pendingBase = 0;
    m_real = m_total = m_nextChunk = m_emitted = 0;
    m_limit = -1;
    m_ready.clear();
    m_caches.assign(static_cast<size_t>(m_model->dit()->config().numLayers), KvCache{});
    m_kvPool.reset();
    m_lqState.reset();
    m_tcState.reset();
    m_vaeState.reset();
    m_generator = at::detail::createCPUGenerator(static_cast<uint64_t>(m_options.seed));
    m_stats = {};
}

void FlashVsrStream::appendFrame(const torch::Tensor& frame) {
    const auto& opts = m_model->options();
    auto f = frame.to(opts.device, opts.dtype);
    // Replicate-pad bottom/right to the 128 grid; outputs are cropped back (never centre-cropped).
    auto padded = replicatePadTo(f, kAlign).contiguous();  // (3, Hp, Wp)
    m_pending.push_back(m_parked ? parkedCopy(padded) : padded);
    ++m_total;
}

void FlashVsrStream::setParking(bool on) {
    if (!on && m_parked) {
        moveState(false);
    }
    if (on && m_decoder) {
        emit(m_decoder->drain());  // the side stream may still hold this chunk's decoder state
    }
    m_parking = on;
}

int64_t FlashVsrStream::parkedBytes() const {
    if (!m_parked) {
        return 0;
    }
    int64_t bytes = 0;
    for (const torch::Tensor* t : const_cast<FlashVsrStream*>(this)->stateTensors()) {
        if (t->defined() && t->device().is_cpu()) {
            bytes += t->numel() * static_cast<int64_t>(t->element_size());
        }
    }
    return bytes;
}

std::vector<torch::Tensor*> FlashVsrStream::stateTensors() {
    std::vector<torch::Tensor*> all = m_kvPool.stateTensors();
    for (KvCache& c : m_caches) {
        all.push_back(&c.k);
        all.push_back(&c.v);
    }
    all.push_back(&m_lqState.cache1);
    all.push_back(&m_lqState.cache2);
    for (torch::Tensor& t : m_tcState.memory) {
        all.push_back(&t);
    }
    for (torch::Tensor& t : m_vaeState.cache) {
        all.push_back(&t);
    }
    for (torch::Tensor& t : m_pending) {
        all.push_back(&t);
    }
    return all;
}

torch::Tensor FlashVsrStream::parkedCopy(const torch::Tensor& t) const {
    const bool cuda = t.is_cuda();
    // Pinned host memory (through the caching host allocator, reused chunk after chunk) lets the
    // copy run asynchronously on the current stream; on the CPU a plain copy.
    auto host = torch::empty(t.sizes(), t.options().device(torch::kCPU).pinned_memory(cuda));
    host.copy_(t, /*non_blocking=*/cuda);
    return host;
}

void FlashVsrStream::moveState(bool toHost) {
    const torch::Device device = m_model->options().device;
    for (torch::Tensor* t : stateTensors()) {
        if (!t->defined()) {
            continue;
        }
        if (toHost) {
            *t = parkedCopy(*t);
        } else {
            // Async from pinned memory; the host allocator keeps the block until the copy is done.
            auto back = torch::empty(t->sizes(), t->options().device(device));
            back.copy_(*t, /*non_blocking=*/device.is_cuda());
            *t = back;
        }
    }
    m_parked = toHost;
}

void FlashVsrStream::push(const torch::Tensor& lq, std::stop_token stop) {
    TORCH_CHECK(m_height > 0, "FlashVsrStream: configure() first");
    TORCH_CHECK(m_limit < 0, "FlashVsrStream: push() after finish(); reset() first");
    TORCH_CHECK(lq.dim() == 4 && lq.size(1) == 3 && lq.size(2) == m_height && lq.size(3) == m_width,
                "FlashVsrStream: frames must be (T, 3, ", m_height, ", ", m_width, "), got ",
                lq.sizes());
    torch::NoGradGuard noGrad;
    for (int64_t t = 0; t < lq.size(0); ++t) {
        appendFrame(lq[t]);
        ++m_real;
        while (m_total >= chunkPlan(m_nextChunk).inputEnd) {
            runChunk(m_nextChunk, stop);
        }
    }
}

void FlashVsrStream::finish(std::stop_token stop, int64_t outputFrames) {
    TORCH_CHECK(m_height > 0, "FlashVsrStream: configure() first");
    torch::NoGradGuard noGrad;
    if (m_limit >= 0) {
        return;
    }
    m_limit = outputFrames >= 0 ? std::min(outputFrames, m_real) : m_real;
    if (m_limit == 0) {
        return;
    }
    const int64_t chunks = std::max(m_nextChunk, chunkCountFor(m_limit));
    while (m_nextChunk < chunks) {
        while (m_total < chunkPlan(m_nextChunk).inputEnd) {
            m_pending.push_back(m_pending.back());  // repeat the last frame (look-ahead padding)
            ++m_total;
        }
        runChunk(m_nextChunk, stop);
    }
    if (m_decoder) {
        emit(m_decoder->drain());
    }
}

torch::Tensor FlashVsrStream::take() {
    if (m_ready.empty()) {
        return {};
    }
    auto out = m_ready.size() == 1 ? m_ready.front() : torch::cat(m_ready, 0);  // (n, 3, H, W)
    m_ready.clear();
    return out;
}

torch::Tensor FlashVsrStream::window(int64_t begin, int64_t end) const {
    TORCH_CHECK(
        begin >= m_pendingBase && end - m_pendingBase <= static_cast<int64_t>(m_pending.size()),
        "FlashVsrStream: frames [", begin, ", ", end, ") not buffered (have ", m_pendingBase, "..",
        m_pendingBase + static_cast<int64_t>(m_pending.size()), ")");
    std::vector<torch::Tensor> frames(m_pending.begin() + (begin - m_pendingBase),
                                      m_pending.begin() + (end - m_pendingBase));
    return torch::stack(frames, 1).unsqueeze(0);  // (1, 3, end-begin, Hp, Wp)
}

torch::Tensor FlashVsrStream::noiseFor(int64_t latentBegin, int64_t latentEnd) {
    const auto& opts = m_model->options();
    const int64_t lh = m_paddedHeight / 8, lw = m_paddedWidth / 8;
    const int64_t channels = m_model->dit()->config().inDim;
    if (m_externalNoise.defined()) {
        TORCH_CHECK(m_externalNoise.dim() == 5 && m_externalNoise.size(1) == channels &&
                        m_externalNoise.size(2) >= latentEnd && m_externalNoise.size(3) == lh &&
                        m_externalNoise.size(4) == lw,
                    "external noise ", m_externalNoise.sizes(), " does not cover latents [",
                    latentBegin, ", ", latentEnd, ") of (", lh, ", ", lw, ")");
        return m_externalNoise.slice(2, latentBegin, latentEnd).to(opts.device, opts.dtype);
    }
    if (m_noiseSource) {
        auto noise = m_noiseSource(latentBegin, latentEnd);
        TORCH_CHECK(noise.dim() == 5 && noise.size(1) == channels &&
                        noise.size(2) == latentEnd - latentBegin && noise.size(3) == lh &&
                        noise.size(4) == lw,
                    "noise source gave ", noise.sizes(), " for latents [", latentBegin, ", ",
                    latentEnd, ") of (", lh, ", ", lw, ")");
        return noise.to(opts.device, opts.dtype);
    }
    // Drawn on the CPU in chunk order from one seeded generator: the same numbers on every device.
    auto noise = torch::randn({1, channels, latentEnd - latentBegin, lh, lw}, m_generator,
                              torch::TensorOptions().dtype(torch::kFloat32));
    return noise.to(opts.device, opts.dtype);
}

torch::Tensor FlashVsrStream::ditStep(const ChunkPlan& plan, const DitHooks& hooks,
                                      ChunkTimer& timer, std::stop_token stop) {
    auto tap = [&](const std::string& name, const torch::Tensor& t) {
        if (hooks.tap) {
            hooks.tap(name, t);
        }
    };
    auto lq = window(plan.inputBegin, plan.inputEnd);                    // (1, 3, 25 or 8, Hp, Wp)
    auto tokens = m_model->lqProjector()->projectFrames(lq, m_lqState);  // (1, f*h*w, dim)
    tap("lq_tokens", tokens);
    timer.mark("lq_proj");
    if (timer.on()) {
        timer.count("non_finite_lq_tokens",
                    torch::isfinite(tokens).logical_not().sum().item<int64_t>());
    }
    auto noise = noiseFor(plan.latentBegin, plan.latentEnd);  // (1, 16, f, Hp/8, Wp/8)
    tap("noise", noise);
    DitChunkParams params;
    params.t0 = plan.latentBegin;
    params.topkRatio = lcsaTopkRatio(m_options.sparseRatio, m_paddedHeight, m_paddedWidth);
    params.localRange = m_options.localRange;
    params.kvGroups = m_options.kvGroups();
    params.attention = m_options.attention;
    params.gatherBudgetBytes = m_options.gatherBudgetBytes;
    params.kvPool = &m_kvPool;
    params.fusedKernels = m_model->options().fusedKernels;
    params.hooks = &hooks;
    params.stats = m_collectStats ? &m_stats : nullptr;
    auto v = m_model->dit()->forward(noise, tokens, params, m_caches, stop);
    auto z0 = noise - v;  // one-step flow matching at sigma = 1 (spec §2.8)
    tap("z0", z0);
    timer.mark("dit");
    return z0;
}

torch::Tensor FlashVsrStream::decodeChunk(int64_t k, const ChunkPlan& plan, const torch::Tensor& z0,
                                          const torch::Tensor& cond, const DitHooks& hooks,
                                          ChunkTimer& timer) {
    auto tap = [&](const std::string& name, const torch::Tensor& t) {
        if (hooks.tap) {
            hooks.tap(name, t);
        }
    };
    torch::Tensor decoded;
    if (m_model->options().decoder == DecoderKind::Tiny) {
        decoded = m_model->tcDecoder()->decodeChunk(z0, cond, m_tcState);
    } else {
        decoded = m_model->vaeDecoder()->decodeChunk(z0, m_vaeState);
    }
    TORCH_CHECK(decoded.size(2) == cond.size(2), "decoder returned ", decoded.size(2),
                " frames for chunk ", k, ", expected ", cond.size(2));
    tap("decoded", decoded);
    timer.mark("decode");
    auto frames = applyColorFix(decoded, cond, m_options.colorFix);  // (1, 3, n, Hp, Wp)
    tap("frames", frames);
    timer.mark("color_fix");
    auto out = frames[0]
                   .slice(2, 0, m_height)
                   .slice(3, 0, m_width)
                   .permute({1, 0, 2, 3})
                   .to(torch::kFloat32)
                   .contiguous();  // (n, 3, H, W)
    int64_t keep = out.size(0);
    if (m_limit >= 0) {
        keep = std::clamp<int64_t>(m_limit - plan.condBegin, 0, keep);
    }
    return out.slice(0, 0, keep);
}

void FlashVsrStream::emit(std::vector<torch::Tensor> frames) {
    for (auto& f : frames) {
        if (f.size(0) > 0) {
            m_emitted += f.size(0);
            m_ready.push_back(std::move(f));
        }
    }
}

void FlashVsrStream::runChunk(int64_t k, std::stop_token stop) {
    if (stop.stop_requested()) {
        throw StopRequested();
    }
    const torch::Device device = m_model->options().device;
    const StageProfiler::Scope profiling(m_options.profile);
    ChunkTimer timer(m_options.profile, device);
    if (m_parked) {
        moveState(false);  // back on the device for this chunk
        timer.mark("unpark");
    }
    const ChunkPlan plan = chunkPlan(k);
    const std::string prefix = "chunk" + std::to_string(k) + ".";
    DitHooks prefixed;
    if (m_hooks != nullptr) {
        if (m_hooks->tap) {
            prefixed.tap = [&](const std::string& name, const torch::Tensor& t) {
                m_hooks->tap(prefix + name, t);
            };
        }
        prefixed.injectMask = m_hooks->injectMask;
    }
    if (timer.on() && m_lastChunkEnd != std::chrono::steady_clock::time_point{}) {
        // Host time between chunks: frame conversion, resize, the pipeline's other stages.
        timer.item(
            "between",
            std::chrono::duration<double, std::milli>(timer.started() - m_lastChunkEnd).count());
    }
    const int64_t emptyBefore = m_stats.emptyQueryBlocks;
    auto z0 = ditStep(plan, prefixed, timer, stop);
    if (timer.on()) {
        // Per chunk: where a numerical failure starts (docs/benchmarks.md, the bisect script).
        timer.count("non_finite_z0", torch::isfinite(z0).logical_not().sum().item<int64_t>());
        if (m_collectStats) {
            timer.count("empty_query_blocks", m_stats.emptyQueryBlocks - emptyBefore);
        }
    }
    if (stop.stop_requested()) {
        throw StopRequested();
    }
    auto cond = window(plan.condBegin, plan.condEnd);  // (1, 3, 21 or 8, Hp, Wp)
    const bool overlap = overlapDecoding();
    if (!m_decoder || m_decoder->overlapping() != overlap) {
        if (m_decoder) {
            emit(m_decoder->drain());
        }
        m_decoder = OverlappedDecoder::create(device, overlap);
    }
    int64_t decodedFrames = 0;
    emit(m_decoder->submit({z0, cond}, [&] {
        auto out = decodeChunk(k, plan, z0, cond, prefixed, timer);
        decodedFrames = out.size(0);
        return out;
    }));
    if (timer.on()) {
        std::fprintf(stderr, "profile chunk %lld (%lld frames):%s\n  dit stages (ms): %s\n",
                     static_cast<long long>(k), static_cast<long long>(decodedFrames),
                     timer.text().c_str(), StageProfiler::drain().c_str());
        m_lastChunkEnd = std::chrono::steady_clock::now();
    }
    ++m_nextChunk;
    // Only frames the next chunk's decoder/colour fix still reads stay buffered.
    const int64_t keepFrom = chunkPlan(m_nextChunk).condBegin;
    while (m_pendingBase < keepFrom && !m_pending.empty()) {
        m_pending.pop_front();
        ++m_pendingBase;
    }
    if (m_parking) {
        moveState(true);  // idle until this stream's next chunk
    }
}

bool FlashVsrStream::overlapDecoding() const {
    const bool hooked = m_hooks != nullptr && (m_hooks->tap || m_hooks->injectMask);
    return m_options.decoderOverlap && !hooked && !m_parking && m_model->options().device.is_cuda();
}

}  // namespace fvs::gpu
