// Cancelling an export that runs the real FlashVSR engine (the reduced CPU model
// tests/data/parity/e2e_v11, 64x32 frames upscaled x4): the stop reaches the engine through
// FrameProcessor::requestStop(), far fewer chunks than the clip's run, and nothing is left under
// the output name.
#include <QtTest>

#include <atomic>
#include <functional>
#include <memory>

#include "fvs/core/export_pipeline.h"
#include "fvs/gpu/flashvsr_processor.h"
#include "pipeline_test_util.h"

using namespace fvs::core;
using namespace fvs::test;
namespace fs = std::filesystem;

namespace {

constexpr int kClipFrames = 200;   // 25 chunks of the FlashVSR schedule (25 frames, then 8)
constexpr int kFirstChunkIn = 25;  // inputs the first chunk needs
constexpr int kFirstChunkOut = 21;
constexpr int kChunkFrames = 8;

// Passes everything to the real engine and counts what crosses the seam: frames pushed and
// accepted, pushes the engine refused as Cancelled, outputs pulled, requestStop() calls.
class CountingProcessor : public FrameProcessor {
public:
    explicit CountingProcessor(std::unique_ptr<FrameProcessor> inner) : m_inner(std::move(inner)) {}
    Result<ProcessorPlan> configure(const StreamInfo& in) override {
        return m_inner->configure(in);
    }
    Status push(Frame f) override {
        ++pushed;
        if (beforePush)
            beforePush(pushed);
        Status st = m_inner->push(std::move(f));
        if (st)
            ++accepted;
        else if (st.error().code == ErrorCode::Cancelled)
            ++cancelledPushes;
        return st;
    }
    std::optional<Frame> pull() override {
        auto f = m_inner->pull();
        if (f)
            ++pulled;
        return f;
    }
    Status finish() override { return m_inner->finish(); }
    void reset() override {
        ++resets;
        m_inner->reset();
    }
    int latencyFrames() const override { return m_inner->latencyFrames(); }
    int warmupFrames() const override { return m_inner->warmupFrames(); }
    void requestStop() override {
        ++stopCalls;
        if (forwardStop)
            m_inner->requestStop();
    }

    std::function<void(int)> beforePush;  // runs on the process thread, before the engine
    bool forwardStop = true;  // false: the control case of an engine that never hears the stop
    int pushed = 0, accepted = 0, cancelledPushes = 0, pulled = 0, resets = 0;
    std::atomic<int> stopCalls{0};

private:
    std::unique_ptr<FrameProcessor> m_inner;
};

}  // namespace

class TestExportCancel : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    fs::path m_clip;
    fs::path path(const char* name) { return fs::path(m_dir.path().toStdString()) / name; }

    std::unique_ptr<CountingProcessor> makeEngine() {
        EngineSettings s;
        s.engine = EngineKind::FlashVsr;
        s.modelsDir = FVS_SOURCE_DIR "/tests/data/parity/e2e_v11";
        s.sparseRatio = 0.03125;  // the folder's run settings (flashvsr_config.json)
        s.localRange = 3;
        s.device = "cpu";
        s.dtype = ComputeDtype::Fp32;
        auto engine = fvs::gpu::createFlashVsrProcessor(s);
        if (!engine) {
            qWarning("%s", engine.error().message.c_str());
            return nullptr;
        }
        return std::make_unique<CountingProcessor>(std::move(*engine));
    }

    ExportRequest request(const char* output) {
        ExportRequest r;
        r.input = m_clip;
        r.output = path(output);
        r.encode.codec = "libx264";
        r.encode.preset = "ultrafast";
        return r;
    }

private Q_SLOTS:
    void initTestCase() {
        av_log_set_level(AV_LOG_ERROR);
        m_clip = path("clip.mp4");
        QVERIFY(makeCfrClip(QString::fromStdString(m_clip.string()), kClipFrames, "64x32"));
    }

    void cancelAfterFirstOutputFrame() {
        // GIVEN an export of 200 frames through FlashVSR that the user cancels as soon as the
        // first upscaled frame is written (the request comes from the encode thread)
        auto engine = makeEngine();
        QVERIFY(engine);
        ExportRequest req = request("cancel-first.mp4");
        std::stop_source stop;
        req.onProgress = [&](const ExportProgress& p) {
            if (p.framesDone >= 1)
                stop.request_stop();
        };
        // WHEN it runs
        auto r = ExportPipeline(req).run(*engine, stop.get_token());
        // THEN it is cancelled, the engine was told, and it stopped within two chunks of the first
        // one: a chunk runs when its last input is pushed (frames 25, 33, 41, ...), so at most 3
        // of the clip's 25 chunks were started
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Cancelled);
        QVERIFY(engine->stopCalls.load() >= 1);
        qInfo("pushed %d, accepted %d, cancelled pushes %d, pulled %d", engine->pushed,
              engine->accepted, engine->cancelledPushes, engine->pulled);
        QVERIFY(engine->accepted >= kFirstChunkIn);  // the first chunk ran: a frame was written
        QVERIFY(engine->pulled >= 1);
        QVERIFY(engine->pushed <= kFirstChunkIn + 2 * kChunkFrames);
        // AND the engine was re-armed for another use, and no output is left behind
        QCOMPARE(engine->resets, 1);
        QVERIFY(!fs::exists(req.output));
        QVERIFY(!fs::exists(req.output.string() + ".part"));
    }

    void stopReachesTheEngineInsideAStep() {
        // GIVEN exports whose user cancels exactly when the engine is handed the frame that
        // completes the second chunk (frame 33), i.e. as that engine step starts
        auto runCancelledAtChunk2 = [&](CountingProcessor& engine, const char* output) {
            ExportRequest req = request(output);
            std::stop_source stop;
            engine.beforePush = [&](int n) {
                if (n == kFirstChunkIn + kChunkFrames)
                    stop.request_stop();
            };
            auto r = ExportPipeline(req).run(engine, stop.get_token());
            engine.beforePush = nullptr;  // it refers to this call's stop source
            QVERIFY(!r.ok());
            QCOMPARE(r.error().code, ErrorCode::Cancelled);
            QCOMPARE(engine.pushed, kFirstChunkIn + kChunkFrames);
            QVERIFY(engine.stopCalls.load() >= 1);
            QVERIFY(!fs::exists(req.output));
            QVERIFY(!fs::exists(req.output.string() + ".part"));
        };
        // WHEN the engine does not pass the stop on (control) THEN the step runs to its end: the
        // second chunk is computed although the user had already cancelled
        auto control = makeEngine();
        QVERIFY(control);
        control->forwardStop = false;
        runCancelledAtChunk2(*control, "cancel-control.mp4");
        QCOMPARE(control->cancelledPushes, 0);
        QCOMPARE(control->accepted, kFirstChunkIn + kChunkFrames);
        // WHEN the real engine hears it THEN that push returns Cancelled instead of computing the
        // chunk, and only the first chunk's 21 outputs ever existed
        auto engine = makeEngine();
        QVERIFY(engine);
        runCancelledAtChunk2(*engine, "cancel-step.mp4");
        QCOMPARE(engine->cancelledPushes, 1);
        QCOMPARE(engine->accepted, kFirstChunkIn + kChunkFrames - 1);
        QCOMPARE(engine->pulled, kFirstChunkOut);
        // AND after the pipeline's reset() the same engine exports a short clip again
        const fs::path shortClip = path("short.mp4");
        QVERIFY(makeCfrClip(QString::fromStdString(shortClip.string()), 9, "64x32"));
        ExportRequest again = request("again.mp4");
        again.input = shortClip;
        auto r2 = ExportPipeline(again).run(*engine);
        QVERIFY2(r2.ok(), r2.ok() ? "" : r2.error().message.c_str());
        QCOMPARE(r2->framesTotal, int64_t(9));
    }
};

QTEST_GUILESS_MAIN(TestExportCancel)
#include "test_export_cancel.moc"
