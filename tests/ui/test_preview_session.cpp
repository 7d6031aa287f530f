// PreviewSession (core) with the real decoder and the real Lanczos engine: frame pairs arrive,
// a newer request wins over an older one, warm-up/continuation keeps frame identity, bad input
// gives an error instead of a crash.
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <condition_variable>
#include <mutex>

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
