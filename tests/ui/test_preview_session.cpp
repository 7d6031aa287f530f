// PreviewSession (core) with the real decoder and the real Lanczos engine: frame pairs arrive,
// a newer request wins over an older one, warm-up/continuation keeps frame identity, bad input
// gives an error instead of a crash; a superseding request or the session's end stops a blocked
// engine step (requestStop, then reset before the next use); device frames pass through untouched.
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fvs/core/preview_session.h"
#include "fvs/core/resample_processor.h"
#include "ui_test_support.h"

using namespace fvs::core;

namespace {

// Collects what the engine thread reports; waits loop on predicates.
struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    int frames = 0;
    std::vector<int64_t> upscaled;
    std::string engineError;
    std::string error;

    template <class Pred>
    bool waitFor(Pred pred, int ms = 20000) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(); });
    }
};

PreviewListener listen(Events& e) {
    PreviewListener l;
    auto bump = [&e](auto fn) {
        std::lock_guard lock(e.mutex);
        fn();
        e.changed.notify_all();
    };
    l.onFrameReady = [&e, bump] { bump([&] { ++e.frames; }); };
    l.onUpscaled = [&e, bump](int64_t i) { bump([&] { e.upscaled.push_back(i); }); };
    l.onEngineError = [&e, bump](const Error& err) { bump([&] { e.engineError = err.message; }); };
    l.onError = [&e, bump](const Error& err) { bump([&] { e.error = err.message; }); };
    return l;
}

EngineFactory lanczos(double factor) {
    return [factor]() -> Result<std::unique_ptr<FrameProcessor>> {
        ResampleOptions o;
        o.scale.factor = factor;
        return std::unique_ptr<FrameProcessor>(std::make_unique<ResampleProcessor>(o));
    };
}

// The real Lanczos engine behind a gate: the push of frame `gateIndex` blocks (like a long
// FlashVSR chunk) until requestStop() or release(). It keeps the FrameProcessor contract: after a
// stop every push/finish returns Cancelled until reset(). The waits have a 30 s cap only so that a
// missing stop fails the test instead of hanging it; `releasedBy` says which way the gate opened.
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    int64_t gateIndex = -1;
    bool entered = false;
    bool released = false;
    std::string releasedBy;  // "stop", "release" or "timeout"
    int stopCalls = 0;
    int resets = 0;
    int resetsAfterStop = 0;
    int pushesWhileStopped = 0;  // pushes the session made without resetting after a stop
    bool stopFromEngineThread = false;
    std::thread::id engineThread;
    std::vector<int64_t> pushed;

    template <class Pred>
    bool waitFor(Pred pred, int ms = 20000) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::milliseconds(ms), [&] { return pred(); });
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        changed.notify_all();
    }
};

class GatedProcessor final : public FrameProcessor {
public:
    GatedProcessor(std::shared_ptr<Gate> gate, double factor)
        : m_gate(std::move(gate)), m_inner([factor] {
              ResampleOptions o;
              o.scale.factor = factor;
              return o;
          }()) {}

    Result<ProcessorPlan> configure(const StreamInfo& input) override {
        return m_inner.configure(input);
    }
    Status push(Frame frame) override {
        {
            std::unique_lock lock(m_gate->mutex);
            m_gate->engineThread = std::this_thread::get_id();
            if (m_stopped) {
                ++m_gate->pushesWhileStopped;
                return makeError(ErrorCode::Cancelled, "stopped");
            }
            m_gate->pushed.push_back(frame.index);
            if (frame.index == m_gate->gateIndex && m_gate->releasedBy.empty()) {
                m_gate->entered = true;
                m_gate->changed.notify_all();
                const bool opened = m_gate->changed.wait_for(
                    lock, std::chrono::seconds(30), [&] { return m_stopped || m_gate->released; });
                m_gate->releasedBy = !opened ? "timeout" : m_stopped ? "stop" : "release";
                m_gate->changed.notify_all();
                if (m_stopped)
                    return makeError(ErrorCode::Cancelled, "stopped");
            }
        }
        return m_inner.push(std::move(frame));
    }
    std::optional<Frame> pull() override { return m_inner.pull(); }
    Status finish() override {
        std::lock_guard lock(m_gate->mutex);
        if (m_stopped)
            return makeError(ErrorCode::Cancelled, "stopped");
        return m_inner.finish();
    }
    void reset() override {
        std::lock_guard lock(m_gate->mutex);
        ++m_gate->resets;
        if (m_stopped)
            ++m_gate->resetsAfterStop;
        m_stopped = false;
        m_inner.reset();
    }
    int latencyFrames() const override { return 0; }
    void requestStop() override {
        std::lock_guard lock(m_gate->mutex);
        ++m_gate->stopCalls;
        if (std::this_thread::get_id() == m_gate->engineThread)
            m_gate->stopFromEngineThread = true;
        m_stopped = true;
        m_gate->changed.notify_all();
    }

private:
    std::shared_ptr<Gate> m_gate;
    ResampleProcessor m_inner;
    bool m_stopped = false;  // guarded by m_gate->mutex
};

EngineFactory gated(std::shared_ptr<Gate> gate, double factor = 2.0) {
    return [gate, factor]() -> Result<std::unique_ptr<FrameProcessor>> {
        return std::unique_ptr<FrameProcessor>(std::make_unique<GatedProcessor>(gate, factor));
    };
}

// Core treats device frames as opaque (pointer, pitch, size, keep-alive) and never reads them, so
// on this GPU-less machine the real Lanczos engine's output is handed over as a DeviceImage whose
// `data` is a host buffer standing in for GPU memory. The CUDA engine and the interop display are
// proved on the GPU machine (packaging/gpu/interop_proof.sh).
class DeviceOutputProcessor final : public FrameProcessor {
public:
    explicit DeviceOutputProcessor(std::shared_ptr<std::atomic<int>> enableCalls)
        : m_enableCalls(std::move(enableCalls)), m_inner([] {
              ResampleOptions o;
              o.scale.factor = 2.0;
              return o;
          }()) {}

    static constexpr std::size_t kPadding = 256;  // pitch > 4 * width, as CUDA pitches may be

    Result<ProcessorPlan> configure(const StreamInfo& input) override {
        return m_inner.configure(input);
    }
    Status push(Frame frame) override { return m_inner.push(std::move(frame)); }
    std::optional<Frame> pull() override {
        auto out = m_inner.pull();
        if (!out || !m_device)
            return out;
        auto image = std::make_shared<DeviceImage>();
        image->width = out->width();
        image->height = out->height();
        image->pitchBytes = std::size_t(image->width) * 4 + kPadding;
        auto buffer = std::make_shared<std::vector<uint8_t>>(image->pitchBytes * image->height);
        image->data = buffer->data();
        image->owner = buffer;
        Frame device;
        device.index = out->index;
        device.ptsUs = out->ptsUs;
        device.device = std::move(image);
        return device;
    }
    Status finish() override { return m_inner.finish(); }
    void reset() override { m_inner.reset(); }
    int latencyFrames() const override { return 0; }
    bool enableDeviceOutput(bool on) override {
        ++*m_enableCalls;
        m_device = on;
        return true;
    }

private:
    std::shared_ptr<std::atomic<int>> m_enableCalls;
    ResampleProcessor m_inner;
    bool m_device = false;
};

bool contains(const std::vector<int64_t>& v, int64_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

class TestPreviewSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_clip = fvs::ui::test::makeClip(QDir(m_dir.path()), QStringLiteral("clip.mp4"), 40);
        QVERIFY2(!m_clip.isEmpty(), "ffmpeg could not generate the test clip");
    }

    void publishesOriginalAndUpscaledPairs() {
        // GIVEN a session over a 64x48 clip with Lanczos x2
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), lanczos(2.0), listen(events));
        QVERIFY(session);
        // WHEN frame 5 is requested
        session.value()->requestFrame(5);
        // THEN frame 5 becomes cached (upscaled) and the newest pair is frame 5 at both sizes
        QVERIFY(events.waitFor([&] {
            return std::find(events.upscaled.begin(), events.upscaled.end(), 5) !=
                   events.upscaled.end();
        }));
        // (the target is published before it is reported as upscaled)
        auto pair = session.value()->frames().take();
        QVERIFY(pair);
        QCOMPARE(pair->index, int64_t(5));
        QVERIFY(pair->upscaled.valid());
        QCOMPARE(pair->original.width, 64);
        QCOMPARE(pair->original.height, 48);
        QCOMPARE(pair->upscaled.width, 128);
        QCOMPARE(pair->upscaled.height, 96);
        QCOMPARE(pair->original.pixels->size(), size_t(64 * 48 * 4));
        // AND frames ahead of the playhead are upscaled too (smooth playback)
        QVERIFY(events.waitFor([&] { return events.upscaled.size() >= 9; }));
        const auto cached = session.value()->upscaledIndices();
        QVERIFY(std::find(cached.begin(), cached.end(), 13) != cached.end());
    }

    void newestRequestWins() {
        // GIVEN a session
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), lanczos(4.0), listen(events));
        QVERIFY(session);
        // WHEN many seeks arrive at once
        for (int i = 0; i < 30; ++i)
            session.value()->requestFrame(i);
        session.value()->requestFrame(33);
        // THEN the engine serves the last one: frame 33 gets upscaled and shown
        QVERIFY(events.waitFor([&] {
            return std::find(events.upscaled.begin(), events.upscaled.end(), 33) !=
                   events.upscaled.end();
        }));
        std::optional<PreviewFramePair> last;
        while (auto p = session.value()->frames().take())
            last = p;
        // The mailbox keeps only the newest pair; it is for the last request.
        if (last)
            QCOMPARE(last->index, int64_t(33));
        QVERIFY(events.error.empty());
    }

    void stepsForwardWithoutRestartingTheStream() {
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), lanczos(2.0), listen(events));
        QVERIFY(session);
        // GIVEN frames 0..8 upscaled
        session.value()->requestFrame(0);
        QVERIFY(events.waitFor([&] { return events.upscaled.size() >= 9; }));
        // WHEN playback moves on to frame 9 (the next frame past what is cached)
        session.value()->requestFrame(9);
        // THEN 9..17 follow, each index exactly once (no duplicate from a restart)
        QVERIFY(events.waitFor([&] { return events.upscaled.size() >= 18; }));
        std::vector<int64_t> seen = events.upscaled;
        std::sort(seen.begin(), seen.end());
        QVERIFY(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
        QCOMPARE(seen.front(), int64_t(0));
        QCOMPARE(seen.at(17), int64_t(17));
    }

    void withoutAnEngineShowsTheSource() {
        Events events;
        PreviewOptions options;
        options.upscale = false;
        auto session = PreviewSession::open(m_clip.toStdString(), {}, listen(events), options);
        QVERIFY(session);
        session.value()->requestFrame(39);
        QVERIFY(events.waitFor([&] { return events.frames >= 1; }));
        auto pair = session.value()->frames().take();
        QVERIFY(pair);
        QCOMPARE(pair->index, int64_t(39));
        QVERIFY(pair->original.valid());
        QVERIFY(!pair->upscaled.valid());
    }

    void engineErrorIsReportedAndSourceStillShown() {
        Events events;
        EngineFactory broken = []() -> Result<std::unique_ptr<FrameProcessor>> {
            return makeError(ErrorCode::ModelError, "no weights here");
        };
        auto session = PreviewSession::open(m_clip.toStdString(), broken, listen(events));
        QVERIFY(session);
        session.value()->requestFrame(3);
        QVERIFY(events.waitFor([&] { return events.frames >= 1; }));
        QCOMPARE(QString::fromStdString(events.engineError), QStringLiteral("no weights here"));
        auto pair = session.value()->frames().take();
        QVERIFY(pair && pair->index == 3 && pair->original.valid());
    }

    void badFileFailsAtOpen() {
        QFile junk(QDir(m_dir.path()).filePath(QStringLiteral("junk.mp4")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("this is not a video");
        junk.close();
        Events events;
        auto session =
            PreviewSession::open(junk.fileName().toStdString(), lanczos(2), listen(events));
        QVERIFY(!session);
        QVERIFY(!session.error().message.empty());
        auto missing = PreviewSession::open("/nonexistent/clip.mp4", lanczos(2), listen(events));
        QVERIFY(!missing);
    }

    void seekOutsideTheRunningWorkStopsTheEngine() {
        // GIVEN an engine whose push of frame 2 blocks until it is stopped
        auto gate = std::make_shared<Gate>();
        gate->gateIndex = 2;
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), gated(gate), listen(events));
        QVERIFY(session);
        session.value()->requestFrame(0);
        QVERIFY(gate->waitFor([&] { return gate->entered; }));
        // WHEN the user seeks far away while that step runs
        session.value()->requestFrame(30);
        // THEN the seeking thread stopped the engine (the step cannot end any other way) ...
        {
            std::lock_guard lock(gate->mutex);
            QCOMPARE(gate->stopCalls, 1);
            QVERIFY(!gate->stopFromEngineThread);
        }
        QVERIFY(gate->waitFor([&] { return !gate->releasedBy.empty(); }));
        QCOMPARE(QString::fromStdString(gate->releasedBy), QStringLiteral("stop"));
        // ... and, after a reset, the engine serves the new position
        QVERIFY(events.waitFor([&] { return contains(events.upscaled, 30); }));
        std::lock_guard lock(gate->mutex);
        QVERIFY(gate->resetsAfterStop >= 1);
        QCOMPARE(gate->pushesWhileStopped, 0);
        QVERIFY(events.error.empty());  // a cancelled step is not an error
        QVERIFY(!contains(events.upscaled, 2));
    }

    void requestTheRunningWorkLeadsToDoesNotStopIt() {
        // GIVEN an engine blocked on frame 3 while frames 0..8 are being upscaled
        auto gate = std::make_shared<Gate>();
        gate->gateIndex = 3;
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), gated(gate), listen(events));
        QVERIFY(session);
        session.value()->requestFrame(0);
        QVERIFY(gate->waitFor([&] { return gate->entered; }));
        // WHEN playback asks for the next frames, which that work produces
        session.value()->requestFrame(1);
        session.value()->requestFrame(2);
        // THEN nothing is stopped (the decision is made inside requestFrame, on this thread)
        {
            std::lock_guard lock(gate->mutex);
            QCOMPARE(gate->stopCalls, 0);
        }
        gate->release();
        // AND the stream goes on: 2..10 upscaled, every frame pushed once, no restart
        QVERIFY(events.waitFor([&] { return contains(events.upscaled, 10); }));
        std::lock_guard lock(gate->mutex);
        QCOMPARE(QString::fromStdString(gate->releasedBy), QStringLiteral("release"));
        std::vector<int64_t> pushed = gate->pushed;
        std::sort(pushed.begin(), pushed.end());
        QVERIFY(std::adjacent_find(pushed.begin(), pushed.end()) == pushed.end());
        QCOMPARE(gate->stopCalls, 0);
    }

    void endingTheSessionStopsABlockedStep() {
        // GIVEN an engine blocked inside a step
        auto gate = std::make_shared<Gate>();
        gate->gateIndex = 1;
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), gated(gate), listen(events));
        QVERIFY(session);
        session.value()->requestFrame(0);
        QVERIFY(gate->waitFor([&] { return gate->entered; }));
        // WHEN the session is destroyed (closing the file, quitting)
        session.value().reset();
        // THEN the destructor stopped the engine; the step did not run to its time cap
        std::lock_guard lock(gate->mutex);
        QCOMPARE(QString::fromStdString(gate->releasedBy), QStringLiteral("stop"));
        QCOMPARE(gate->stopCalls, 1);
    }

    void deviceFramesPassThroughAndCountInTheCache() {
        // GIVEN an engine that hands its output over as device frames, and a cache that holds
        // the originals of every frame but the device frames of only a few
        const int64_t original = 64 * 48 * 4;
        const int64_t device = (128 * 4 + int64_t(DeviceOutputProcessor::kPadding)) * 96;
        auto enableCalls = std::make_shared<std::atomic<int>>(0);
        EngineFactory factory = [enableCalls]() -> Result<std::unique_ptr<FrameProcessor>> {
            return std::unique_ptr<FrameProcessor>(
                std::make_unique<DeviceOutputProcessor>(enableCalls));
        };
        PreviewOptions options;
        options.deviceFrames = true;
        options.cacheBytes = 3 * (original + device) + original;
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), factory, listen(events), options);
        QVERIFY(session);
        // WHEN frame 4 is upscaled (with 8 frames ahead)
        session.value()->requestFrame(4);
        QVERIFY(events.waitFor([&] { return events.upscaled.size() >= 9; }));
        // THEN the engine was asked once for device output, and the session says it got it
        QCOMPARE(enableCalls->load(), 1);
        QVERIFY(session.value()->deviceFrames());
        // AND frame 4 comes out as the device image itself (no host copy), original on the host
        std::optional<PreviewFramePair> pair;
        QVERIFY(events.waitFor([&] { return events.frames >= 1; }));
        while (auto p = session.value()->frames().take())
            pair = p;
        QVERIFY(pair);
        QCOMPARE(pair->index, int64_t(4));
        QVERIFY(pair->upscaledDevice);
        QVERIFY(!pair->upscaled.valid());
        QVERIFY(pair->hasUpscaled());
        QCOMPARE(pair->upscaledDevice->width, 128);
        QCOMPARE(pair->upscaledDevice->height, 96);
        QCOMPARE(pair->upscaledDevice->pitchBytes,
                 std::size_t(128 * 4) + DeviceOutputProcessor::kPadding);
        QVERIFY(pair->original.valid());
        // AND the cache counted the device bytes: only 3 of the 9 pairs fit
        QCOMPARE(session.value()->upscaledIndices().size(), size_t(3));
    }

    void deviceFramesAreNotAskedForUnlessWanted() {
        // A display without interop (the default): the engine is never asked for device frames.
        auto enableCalls = std::make_shared<std::atomic<int>>(0);
        EngineFactory factory = [enableCalls]() -> Result<std::unique_ptr<FrameProcessor>> {
            return std::unique_ptr<FrameProcessor>(
                std::make_unique<DeviceOutputProcessor>(enableCalls));
        };
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), factory, listen(events));
        QVERIFY(session);
        session.value()->requestFrame(2);
        QVERIFY(events.waitFor([&] { return contains(events.upscaled, 2); }));
        QCOMPARE(enableCalls->load(), 0);
        QVERIFY(!session.value()->deviceFrames());
        auto pair = session.value()->frames().take();
        QVERIFY(pair && pair->index == 2 && pair->upscaled.valid() && !pair->upscaledDevice);

        // An engine without device output (Lanczos) keeps giving host frames when asked.
        PreviewOptions options;
        options.deviceFrames = true;
        Events events2;
        auto plain =
            PreviewSession::open(m_clip.toStdString(), lanczos(2.0), listen(events2), options);
        QVERIFY(plain);
        plain.value()->requestFrame(2);
        QVERIFY(events2.waitFor([&] { return contains(events2.upscaled, 2); }));
        QVERIFY(!plain.value()->deviceFrames());
        auto hostPair = plain.value()->frames().take();
        QVERIFY(hostPair && hostPair->upscaled.valid() && !hostPair->upscaledDevice);
    }

    void upscalesOnlyWhatTheRequestAllows() {
        // GIVEN a session whose engine records every frame pushed to it
        auto gate = std::make_shared<Gate>();
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), gated(gate), listen(events));
        QVERIFY(session);
        auto pushed = [&] {
            std::lock_guard lock(gate->mutex);
            return gate->pushed;
        };
        // A request for an original is served after the previous work ended (one engine
        // thread, requests in order): it marks the point where nothing more is pushed.
        auto settle = [&](int64_t frame) {
            int before = 0;
            {
                std::lock_guard lock(events.mutex);
                before = events.frames;
            }
            session.value()->requestFrame(frame, PreviewUpscale::None);
            return events.waitFor([&] { return events.frames > before; });
        };

        // WHEN a paused player asks for frame 10 (FrameOnly)
        session.value()->requestFrame(10, PreviewUpscale::FrameOnly);
        QVERIFY(events.waitFor([&] { return contains(events.upscaled, 10); }));
        QVERIFY(settle(10));
        // THEN the engine saw frame 10 alone (Lanczos needs no warm-up frames): no look-ahead
        QCOMPARE(pushed(), std::vector<int64_t>{10});
        auto cachedPair = session.value()->frames().take();
        QVERIFY(cachedPair && cachedPair->index == 10 && cachedPair->upscaled.valid());

        // WHEN an export runs and the player shows frame 20 (None)
        QVERIFY(settle(20));
        // THEN frame 20 is shown as the original, and the engine did nothing
        auto original = session.value()->frames().take();
        QVERIFY(original && original->index == 20 && original->original.valid());
        QVERIFY(!original->hasUpscaled());
        QCOMPARE(pushed(), std::vector<int64_t>{10});
        QVERIFY(!contains(events.upscaled, 20));

        // WHEN playback asks for frame 30 (Ahead) THEN it and the frames after it are upscaled
        session.value()->requestFrame(30, PreviewUpscale::Ahead);
        QVERIFY(events.waitFor([&] { return contains(events.upscaled, 38); }));
        QVERIFY(contains(pushed(), 30) && contains(pushed(), 38));
    }

    void noUpscalingStopsTheRunningWork() {
        // GIVEN playback work blocked inside the engine at frame 3
        auto gate = std::make_shared<Gate>();
        gate->gateIndex = 3;
        Events events;
        auto session = PreviewSession::open(m_clip.toStdString(), gated(gate), listen(events));
        QVERIFY(session);
        session.value()->requestFrame(0, PreviewUpscale::Ahead);
        QVERIFY(gate->waitFor([&] { return gate->entered; }));
        // WHEN an export starts (the same frame, no upscaling)
        session.value()->requestFrame(0, PreviewUpscale::None);
        // THEN the engine step is stopped, not waited for
        QVERIFY(gate->waitFor([&] { return !gate->releasedBy.empty(); }));
        QCOMPARE(gate->releasedBy, std::string("stop"));
    }

    void thumbnailIsScaledDown() {
        auto thumb = decodeThumbnail(m_clip.toStdString(), 20, 24);
        QVERIFY(thumb);
        QCOMPARE(thumb.value().height, 24);
        QCOMPARE(thumb.value().width, 32);
    }

private:
    QTemporaryDir m_dir;
    QString m_clip;
};

QTEST_GUILESS_MAIN(TestPreviewSession)
#include "test_preview_session.moc"
