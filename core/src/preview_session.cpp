#include "fvs/core/preview_session.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include "fvs/core/av_ptr.h"
#include "fvs/core/frame_convert.h"
#include "fvs/core/media_source.h"

extern "C" {
#include <libavutil/imgutils.h>
}

namespace fvs::core {
namespace {

Result<RgbaImage> toRgba(FrameConverter& converter, const Frame& in, const YuvColor& color) {
    auto rgba = converter.convert(in, AV_PIX_FMT_RGBA, in.width(), in.height(), color);
    if (!rgba)
        return rgba.error();
    const AVFrame& f = *rgba.value().av;
    auto pixels =
        std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(f.width) * f.height * 4);
    av_image_copy_plane(pixels->data(), f.width * 4, f.data[0], f.linesize[0], f.width * 4,
                        f.height);
    return RgbaImage{f.width, f.height, std::move(pixels)};
}

int64_t imageBytes(const RgbaImage& image) {
    return image.pixels ? static_cast<int64_t>(image.pixels->size()) : 0;
}

// What a cached pair holds in memory: host pixels and, for device frames, GPU memory.
int64_t pairBytes(const PreviewFramePair& pair) {
    int64_t bytes = imageBytes(pair.original) + imageBytes(pair.upscaled);
    if (pair.upscaledDevice)
        bytes +=
            static_cast<int64_t>(pair.upscaledDevice->pitchBytes) * pair.upscaledDevice->height;
    return bytes;
}

bool isCancelled(const Status& st) {
    return !st && st.error().code == ErrorCode::Cancelled;
}

}  // namespace

struct PreviewSession::Impl {
    std::unique_ptr<MediaSource> source;
    StreamInfo info;
    EngineFactory makeEngine;
    PreviewListener listener;
    PreviewOptions options;

    struct FrameRequest {
        int64_t index = 0;
        PreviewUpscale upscale = PreviewUpscale::Ahead;
    };
    Mailbox<FrameRequest> requests;
    Mailbox<PreviewFramePair> published;

    // Owned by the engine thread.
    std::unique_ptr<FrameProcessor> engine;
    ProcessorPlan plan;
    YuvColor color;  // how the source's YUV maps to RGB (same rule as the export)
    FrameConverter rgbaConverter;
    FrameConverter engineInput;
    int64_t nextRead = -1;  // index the source returns next (-1: unknown, seek first)
    bool engineFinished = false;
    std::map<int64_t, PreviewFramePair> pending;  // pushed to the engine, output not pulled yet

    // Shared with the requesting threads: what the running work covers, so a request it cannot
    // serve stops the engine (requestStop) instead of waiting for the end of an engine step.
    std::mutex workMutex;
    FrameProcessor* stoppable = nullptr;  // the engine, once made; it lives until the thread ends
    bool busy = false;                    // serving a request with the engine
    int64_t busyFrom = 0;                 // frames [busyFrom, busyTo] are what the work can serve
    int64_t busyTo = -1;
    bool stopRequested = false;  // requestStop() was called: reset() before the next use
    std::atomic<bool> deviceFrames{false};

    // Shared with other threads.
    mutable std::mutex cacheMutex;
    std::map<int64_t, PreviewFramePair> cache;
    int64_t cacheBytes = 0;

    std::jthread thread;

    int64_t lastIndex() const { return std::max<int64_t>(0, info.frameCount - 1); }

    void publish(const PreviewFramePair& pair) {
        published.put(pair);
        if (listener.onFrameReady)
            listener.onFrameReady();
    }

    std::optional<PreviewFramePair> cached(int64_t index) const {
        std::lock_guard lock(cacheMutex);
        auto it = cache.find(index);
        if (it == cache.end())
            return std::nullopt;
        return it->second;
    }

    void insertCache(PreviewFramePair pair, int64_t around) {
        std::vector<int64_t> evicted;
        {
            std::lock_guard lock(cacheMutex);
            cacheBytes += pairBytes(pair);
            cache[pair.index] = std::move(pair);
            // Evict what is farthest from the playhead first.
            while (cacheBytes > options.cacheBytes && cache.size() > 1) {
                auto first = cache.begin();
                auto last = std::prev(cache.end());
                auto victim = (around - first->first >= last->first - around) ? first : last;
                cacheBytes -= pairBytes(victim->second);
                evicted.push_back(victim->first);
                cache.erase(victim);
            }
        }
        for (int64_t index : evicted)
            if (listener.onEvicted)
                listener.onEvicted(index);
    }

    void makeEngineNow() {
        if (!options.upscale || !makeEngine)
            return;
        auto made = makeEngine();
        if (!made) {
            if (listener.onEngineError)
                listener.onEngineError(made.error());
            return;
        }
        auto configured = made.value()->configure(info);
        if (!configured) {
            if (listener.onEngineError)
                listener.onEngineError(configured.error());
            return;
        }
        engine = std::move(made.value());
        plan = configured.value();
        if (options.deviceFrames)
            deviceFrames = engine->enableDeviceOutput(true);
        {
            std::lock_guard lock(workMutex);
            stoppable = engine.get();
        }
        if (listener.onEngineReady)
            listener.onEngineReady(plan);
    }

    Status seekTo(int64_t index) {
        if (nextRead == index)
            return {};
        auto st = source->seekToFrame(index);
        if (!st)
            return st;
        nextRead = index;
        return {};
    }

    // Originals only: decode the requested frame and publish it.
    Status serveOriginal(int64_t target) {
        if (auto hit = cached(target)) {
            publish(*hit);
            return {};
        }
        if (auto st = seekTo(target); !st)
            return st;
        auto read = source->read();
        if (!read)
            return read.error();
        if (!read.value())
            return makeError(ErrorCode::InvalidInput, "no frame at this position");
        Frame& frame = *read.value();
        nextRead = frame.index + 1;
        auto rgba = toRgba(rgbaConverter, frame, color);
        if (!rgba)
            return rgba.error();
        publish(PreviewFramePair{frame.index, frame.ptsUs, std::move(rgba.value()), {}, {}});
        return {};
    }

    Status drainEngine(int64_t target) {
        while (auto out = engine->pull()) {
            auto it = pending.find(out->index);
            if (it == pending.end())
                continue;  // an output of a frame pushed before a reset
            PreviewFramePair pair = std::move(it->second);
            pending.erase(it);
            if (out->onDevice()) {
                pair.upscaledDevice = out->device;  // stays on the GPU: the display maps it
            } else {
                auto rgba = toRgba(rgbaConverter, *out, color);
                if (!rgba)
                    return rgba.error();
                pair.upscaled = std::move(rgba.value());
            }
            if (pair.index == target)
                publish(pair);
            const int64_t index = pair.index;
            insertCache(std::move(pair), target);
            if (listener.onUpscaled)
                listener.onUpscaled(index);
        }
        return {};
    }

    int64_t firstUncached(int64_t from, int64_t to) const {
        std::lock_guard lock(cacheMutex);
        for (int64_t i = from; i <= to; ++i)
            if (!cache.count(i))
                return i;
        return -1;
    }

    // Upscales [target, target + ahead], publishing the target as soon as it is known.
    Status serveUpscaled(int64_t target, int ahead, const std::function<bool()>& cancelled) {
        if (auto hit = cached(target))
            publish(*hit);
        const int64_t end = std::min(lastIndex(), target + ahead);
        const int64_t first = firstUncached(target, end);
        if (first < 0)
            return {};

        // Continue the running stream when the gap is already inside it (playback); otherwise
        // restart a stream `warmupFrames` before the first missing frame (seek).
        int64_t streamFrom = pending.empty() ? nextRead : pending.begin()->first;
        const bool continuing =
            !engineFinished && nextRead >= 0 && first >= streamFrom && first <= nextRead;
        if (!continuing) {
            engine->reset();
            pending.clear();
            engineFinished = false;
            const int64_t start = std::max<int64_t>(0, first - engine->warmupFrames());
            if (auto st = source->seekToFrame(start); !st)
                return st;
            nextRead = start;
            streamFrom = start;
        }
        // A later request for a frame up to `warmupFrames` past the end continues this stream
        // at least as cheaply as a restart would; anything else makes this work useless.
        setBusy(streamFrom, end + std::max(1, engine->warmupFrames()));
        bool targetShown = cached(target).has_value();
        while (firstUncached(target, end) >= 0) {
            if (cancelled())
                return {};
            auto read = source->read();
            if (!read)
                return read.error();
            if (!read.value()) {  // end of file: flush what the engine holds
                if (!engineFinished) {
                    engineFinished = true;
                    if (auto st = engine->finish(); !st)
                        return st;
                    if (auto st = drainEngine(target); !st)
                        return st;
                }
                return {};
            }
            Frame frame = std::move(*read.value());
            nextRead = frame.index + 1;
            auto rgba = toRgba(rgbaConverter, frame, color);
            if (!rgba)
                return rgba.error();
            PreviewFramePair pair{frame.index, frame.ptsUs, std::move(rgba.value()), {}, {}};
            if (frame.index == target && !targetShown) {
                publish(pair);  // the source at once; the upscaled frame follows
                targetShown = true;
            }
            auto input =
                engineInput.convert(frame, plan.inputFormat, frame.width(), frame.height(), color);
            if (!input)
                return input.error();
            pending[frame.index] = std::move(pair);
            if (auto st = engine->push(std::move(input.value())); !st)
                return st;
            if (auto st = drainEngine(target); !st)
                return st;
        }
        return {};
    }

    void setBusy(int64_t from, int64_t to) {
        std::lock_guard lock(workMutex);
        busy = true;
        busyFrom = from;
        busyTo = to;
    }

    // The engine thread, before it uses the engine: a stop request left it cancelled; re-arm it
    // and forget its stream (its state is unknown after a cancelled step).
    void rearmIfStopped() {
        std::lock_guard lock(workMutex);
        busy = false;
        if (!stopRequested)
            return;
        stopRequested = false;
        engine->reset();
        pending.clear();
        engineFinished = true;  // the next request restarts the stream
    }

    // Any thread: a request for `index` arrived (or the session ends: index < 0).
    void stopWorkThatCannotServe(int64_t index) {
        std::lock_guard lock(workMutex);
        if (!stoppable || !busy || stopRequested)
            return;
        if (index >= 0 && index >= busyFrom && index <= busyTo)
            return;  // the running work leads there (playback): let it go on
        stopRequested = true;
        stoppable->requestStop();
    }

    void stopAll() {
        std::lock_guard lock(workMutex);
        if (!stoppable)
            return;
        stopRequested = true;
        stoppable->requestStop();
    }

    void run(std::stop_token stop) {
        makeEngineNow();
        while (!stop.stop_requested()) {
            auto request = requests.wait(stop);
            if (!request)
                break;
            const int64_t target = std::clamp<int64_t>(request->index, 0, lastIndex());
            const PreviewUpscale upscale = request->upscale;
            const auto generation = requests.generation();
            auto cancelled = [&] {
                return stop.stop_requested() || requests.generation() != generation;
            };
            if (engine)
                rearmIfStopped();
            Status st;
            if (engine && upscale != PreviewUpscale::None) {
                st = serveUpscaled(
                    target, upscale == PreviewUpscale::Ahead ? options.framesAhead : 0, cancelled);
            } else {
                st = serveOriginal(target);
                engineFinished = true;  // the source moved under the engine's stream: restart it
            }
            if (engine)
                rearmIfStopped();
            if (isCancelled(st)) {
                // Stopped for a newer request or the end of the session: not an error.
                nextRead = -1;
            } else if (!st) {
                nextRead = -1;  // the decoder/engine state is unknown after a failure
                engineFinished = true;
                if (listener.onError)
                    listener.onError(st.error());
            }
        }
    }
};

PreviewSession::PreviewSession() : m_impl(std::make_unique<Impl>()) {}

PreviewSession::~PreviewSession() {
    if (m_impl->thread.joinable()) {
        m_impl->thread.request_stop();
        m_impl->stopAll();  // a long engine step ends early instead of delaying the join
        m_impl->thread.join();
    }
}

Result<std::unique_ptr<PreviewSession>> PreviewSession::open(const std::filesystem::path& source,
                                                             EngineFactory makeEngine,
                                                             PreviewListener listener,
                                                             PreviewOptions options) {
    auto opened = MediaSource::open(source);
    if (!opened)
        return opened.error();
    std::unique_ptr<PreviewSession> session(new PreviewSession());
    Impl& impl = *session->m_impl;
    impl.source = std::move(opened.value());
    impl.info = impl.source->info();
    impl.color = yuvColorFor(impl.info);
    impl.makeEngine = std::move(makeEngine);
    impl.listener = std::move(listener);
    impl.options = options;
    impl.nextRead = 0;
    impl.thread = std::jthread([&impl](std::stop_token stop) { impl.run(stop); });
    return session;
}

const StreamInfo& PreviewSession::info() const {
    return m_impl->info;
}

void PreviewSession::requestFrame(int64_t index, PreviewUpscale upscale) {
    m_impl->requests.put(Impl::FrameRequest{index, upscale});
    if (upscale == PreviewUpscale::None)
        m_impl->stopAll();
    else
        m_impl->stopWorkThatCannotServe(std::clamp<int64_t>(index, 0, m_impl->lastIndex()));
}

bool PreviewSession::deviceFrames() const {
    return m_impl->deviceFrames.load();
}

Mailbox<PreviewFramePair>& PreviewSession::frames() {
    return m_impl->published;
}

std::vector<int64_t> PreviewSession::upscaledIndices() const {
    std::lock_guard lock(m_impl->cacheMutex);
    std::vector<int64_t> out;
    out.reserve(m_impl->cache.size());
    for (const auto& [index, pair] : m_impl->cache)
        out.push_back(index);
    return out;
}

Result<RgbaImage> decodeThumbnail(const std::filesystem::path& path, int64_t frameIndex,
                                  int maxHeight) {
    SourceOptions options;
    options.exactFrameCount = false;  // a thumbnail needs no exact count; skip the full demux
    auto opened = MediaSource::open(path, options);
    if (!opened)
        return opened.error();
    MediaSource& source = *opened.value();
    const StreamInfo& info = source.info();
    if (frameIndex > 0) {
        if (auto st = source.seekToFrame(frameIndex); !st)
            return st.error();
    }
    auto read = source.read();
    if (!read)
        return read.error();
    if (!read.value())
        return makeError(ErrorCode::InvalidInput, "no frame at this position");
    const Frame& frame = *read.value();
    int height = frame.height();
    int width = frame.width();
    if (maxHeight > 0 && height > maxHeight) {
        width = std::max(2, static_cast<int>(std::lround(double(width) * maxHeight / height)));
        height = maxHeight;
    }
    FrameConverter converter;
    auto rgba = converter.convert(frame, AV_PIX_FMT_RGBA, width, height, yuvColorFor(info));
    if (!rgba)
        return rgba.error();
    const AVFrame& f = *rgba.value().av;
    auto pixels =
        std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(f.width) * f.height * 4);
    av_image_copy_plane(pixels->data(), f.width * 4, f.data[0], f.linesize[0], f.width * 4,
                        f.height);
    return RgbaImage{f.width, f.height, std::move(pixels)};
}

}  // namespace fvs::core
