// ExportPipeline on real clips: frame count and pts (CFR and VFR), trim, crop, cancellation, pause,
// error propagation, and segmented export with resume equal to an uninterrupted run.
#include <QtTest>

#include <atomic>
#include <deque>
#include <thread>

#include "fvs/core/export_pipeline.h"
#include "fvs/core/resample_processor.h"
#include "pipeline_test_util.h"

using namespace fvs::core;
using namespace fvs::test;
namespace fs = std::filesystem;

namespace {

// Wraps a ResampleProcessor; fails on a chosen frame and records what was pushed.
class ProbeProcessor : public FrameProcessor {
public:
    explicit ProbeProcessor(int warmup = 0, int64_t failAt = -1)
        : m_inner({ResampleKernel::Lanczos3, ScaleRequest{2.0}}),
          m_warmup(warmup),
          m_failAt(failAt) {}
    Result<ProcessorPlan> configure(const StreamInfo& in) override { return m_inner.configure(in); }
    Status push(Frame f) override {
        pushed.push_back(f.index);
        if (f.index == m_failAt)
            return makeError(ErrorCode::Internal, "probe failure at frame 5");
        return m_inner.push(std::move(f));
    }
    std::optional<Frame> pull() override { return m_inner.pull(); }
    Status finish() override { return m_inner.finish(); }
    void reset() override { m_inner.reset(); }
    int latencyFrames() const override { return 0; }
    int warmupFrames() const override { return m_warmup; }
    std::vector<int64_t> pushed;

private:
    ResampleProcessor m_inner;
    int m_warmup;
    int64_t m_failAt;
};

// Wraps a ResampleProcessor and hands its outputs out in bursts of `burst` frames, as a chunked
// engine does (FlashVSR: a chunk of 8), saying so in its plan.
class BurstProcessor : public FrameProcessor {
public:
    explicit BurstProcessor(int burst)
        : m_inner({ResampleKernel::Lanczos3, ScaleRequest{2.0}}), m_burst(burst) {}
    Result<ProcessorPlan> configure(const StreamInfo& in) override {
        auto plan = m_inner.configure(in);
        if (plan)
            plan->outputBurstFrames = m_burst;
        return plan;
    }
    Status push(Frame f) override {
        if (Status st = m_inner.push(std::move(f)); !st)
            return st;
        while (auto out = m_inner.pull())
            m_held.push_back(std::move(*out));
        if (static_cast<int>(m_held.size()) >= m_burst)
            release();
        return {};
    }
    std::optional<Frame> pull() override {
        if (m_ready.empty())
            return std::nullopt;
        Frame f = std::move(m_ready.front());
        m_ready.pop_front();
        return f;
    }
    Status finish() override {
        if (Status st = m_inner.finish(); !st)
            return st;
        while (auto out = m_inner.pull())
            m_held.push_back(std::move(*out));
        release();
        return {};
    }
    void reset() override {
        m_inner.reset();
        m_held.clear();
        m_ready.clear();
    }
    int latencyFrames() const override { return m_burst - 1; }

private:
    void release() {
        for (auto& f : m_held)
            m_ready.push_back(std::move(f));
        m_held.clear();
    }
    ResampleProcessor m_inner;
    int m_burst;
    std::deque<Frame> m_held, m_ready;
};

ExportRequest baseRequest(const fs::path& in, const fs::path& out) {
    ExportRequest r;
    r.input = in;
    r.output = out;
    r.encode.codec = "libx264";
    r.encode.preset = "ultrafast";
    r.encode.crf = 18;
    return r;
}

// Exports `req` through a Lanczos processor of `factor`; the decoded output, or nullopt with the
// export's error in `error`.
std::optional<DecodedClip> exportLanczos(const ExportRequest& req, double factor,
                                         std::string& error) {
    ResampleProcessor proc({ResampleKernel::Lanczos3, ScaleRequest{factor}});
    auto r = ExportPipeline(req).run(proc);
    if (!r) {
        error = r.error().message;
        return std::nullopt;
    }
    auto out = decodeClip(req.output);
    if (!out)
        error = "cannot decode " + req.output.string();
    return out;
}

std::vector<int64_t> relative(std::vector<int64_t> v, size_t from, size_t to) {
    std::vector<int64_t> out(v.begin() + from, v.begin() + to);
    const int64_t base = out.empty() ? 0 : out.front();
    for (auto& x : out)
        x -= base;
    return out;
}

}  // namespace

class TestExportPipeline : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    fs::path m_cfr, m_vfr;
    fs::path path(const char* name) { return fs::path(m_dir.path().toStdString()) / name; }

private Q_SLOTS:
    void initTestCase() {
        av_log_set_level(AV_LOG_ERROR);
        if (qEnvironmentVariableIsSet("FVS_KEEP_TEST_FILES"))
            m_dir.setAutoRemove(false);
        m_cfr = path("cfr.mp4");
        m_vfr = path("vfr.mkv");
        QVERIFY(makeCfrClip(QString::fromStdString(m_cfr.string()), 30));
        QVERIFY(makeVfrClip(QString::fromStdString(m_vfr.string()), 30));
    }

    void frameCountAndPtsMatchSource_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<int>("mode");
        QTest::newRow("cfr") << "cfr.mp4" << int(PipelineMode::Overlapped);
        QTest::newRow("vfr") << "vfr.mkv" << int(PipelineMode::Overlapped);
        QTest::newRow("cfr-serial") << "cfr.mp4" << int(PipelineMode::Serial);
    }
    void frameCountAndPtsMatchSource() {
        QFETCH(QString, source);
        QFETCH(int, mode);
        // GIVEN a 30-frame clip WHEN exported with Lanczos x2
        const fs::path in = path(source.toUtf8().constData());
        const fs::path out =
            path(("out-" + source + "-" + QString::number(mode) + ".mp4").toUtf8().constData());
        ExportRequest req = baseRequest(in, out);
        req.mode = PipelineMode(mode);
        std::vector<ExportProgress> progress;
        req.onProgress = [&](const ExportProgress& p) { progress.push_back(p); };
        ResampleProcessor proc({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto result = ExportPipeline(req).run(proc);
        QVERIFY2(result.ok(), result.ok() ? "" : result.error().message.c_str());
        // THEN every frame is there, twice the size, with the source's timestamps
        auto a = decodeClip(in);
        auto b = decodeClip(out);
        QVERIFY(a && b);
        QCOMPARE(b->width, 128);
        QCOMPARE(b->height, 96);
        QCOMPARE(b->ptsUs.size(), size_t(30));
        QCOMPARE(b->ptsUs, a->ptsUs);
        QCOMPARE(result->framesTotal, int64_t(30));
        // AND progress counted every frame up to the total
        QCOMPARE(progress.size(), size_t(30));
        QCOMPARE(progress.back().framesDone, int64_t(30));
        QCOMPARE(progress.back().framesTotal, int64_t(30));
        QVERIFY(!fs::exists(out.string() + ".part"));
    }

    void tenBitStaysTenBit() {
        // GIVEN a 10-bit source WHEN upscaled (the RGB48 path) THEN the output is 10-bit too
        const fs::path in = path("ten.mkv");
        QVERIFY(runFfmpeg({"-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "8",
                           "-pix_fmt", "yuv420p10le", "-c:v", "ffv1",
                           QString::fromStdString(in.string())}));
        ExportRequest req = baseRequest(in, path("ten-out.mkv"));
        req.encode = EncodeSettings{};
        req.encode.codec = "ffv1";
        ResampleProcessor proc({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto r = ExportPipeline(req).run(proc);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        QCOMPARE(r->plan.inputFormat, AV_PIX_FMT_RGB48LE);
        auto info = probe(req.output);
        QVERIFY(info.ok());
        QCOMPARE(info->bitDepth, 10);
        QCOMPARE(info->frameCount, int64_t(8));
    }

    void trimByFrameAndTime() {
        auto src = decodeClip(m_cfr);
        QVERIFY(src);
        // GIVEN frames [5, 17) WHEN exported THEN exactly those 12 frames, re-timed from 0
        std::string error;
        ExportRequest byFrame = baseRequest(m_cfr, path("trim-frames.mp4"));
        byFrame.trim.startFrame = 5;
        byFrame.trim.endFrame = 17;
        auto out1 = exportLanczos(byFrame, 1.0, error);
        QVERIFY2(out1, error.c_str());
        QCOMPARE(out1->ptsUs, relative(src->ptsUs, 5, 17));
        // GIVEN [0.2 s, 0.6 s) at 25 fps WHEN exported THEN frames 5..14
        ExportRequest byTime = baseRequest(m_cfr, path("trim-time.mp4"));
        byTime.trim.startUs = 200000;
        byTime.trim.endUs = 600000;
        auto out2 = exportLanczos(byTime, 1.0, error);
        QVERIFY2(out2, error.c_str());
        QCOMPARE(out2->ptsUs, relative(src->ptsUs, 5, 15));
        // AND an empty or reversed range is refused before any output is written
        ExportRequest bad = baseRequest(m_cfr, path("trim-bad.mp4"));
        bad.trim.startFrame = 10;
        bad.trim.endFrame = 10;
        ResampleProcessor p3({ResampleKernel::Lanczos3, ScaleRequest{1.0}});
        auto r3 = ExportPipeline(bad).run(p3);
        QVERIFY(!r3.ok());
        QCOMPARE(r3.error().code, ErrorCode::InvalidArgument);
        QVERIFY(!fs::exists(bad.output));
        bad.trim = TrimRange{};
        bad.trim.startFrame = 500;
        auto r4 = ExportPipeline(bad).run(p3);
        QVERIFY(!r4.ok());
        QVERIFY(r4.error().message.find("past") != std::string::npos);
    }

    void cropThenScale() {
        // GIVEN a 32x24 crop at (8, 8) WHEN scaled x2 THEN a 64x48 output of every frame
        ExportRequest req = baseRequest(m_cfr, path("crop.mp4"));
        req.crop = CropRect{8, 8, 32, 24};
        ResampleProcessor proc({ResampleKernel::Bicubic, ScaleRequest{2.0}});
        auto r = ExportPipeline(req).run(proc);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        auto out = decodeClip(req.output);
        QVERIFY(out);
        QCOMPARE(out->width, 64);
        QCOMPARE(out->height, 48);
        QCOMPARE(out->ptsUs.size(), size_t(30));
        // AND a crop outside the picture is refused
        req.output = path("crop-bad.mp4");
        req.crop = CropRect{40, 0, 32, 24};
        auto bad = ExportPipeline(req).run(proc);
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().code, ErrorCode::InvalidArgument);
    }

    void cancellationLeavesNothing() {
        // GIVEN an export WHEN stopped after 3 frames THEN Cancelled, no output, no .part
        ExportRequest req = baseRequest(m_cfr, path("cancel.mp4"));
        std::stop_source stop;
        int64_t seen = 0;
        req.onProgress = [&](const ExportProgress& p) {
            seen = p.framesDone;
            if (p.framesDone == 3)
                stop.request_stop();
        };
        ResampleProcessor proc({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto r = ExportPipeline(req).run(proc, stop.get_token());
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Cancelled);
        QVERIFY(seen <= 4);  // within about one frame of the request
        QVERIFY(!fs::exists(req.output));
        QVERIFY(!fs::exists(req.output.string() + ".part"));
    }

    void pauseHoldsAndResumeFinishes() {
        // GIVEN an export that pauses itself after its 2nd frame
        ExportRequest req = baseRequest(m_cfr, path("pause.mp4"));
        std::atomic<int64_t> done{0};
        ExportPipeline* self = nullptr;
        req.onProgress = [&](const ExportProgress& p) {
            done = p.framesDone;
            if (p.framesDone == 2)
                self->pause();
        };
        ExportPipeline pipeline(req);
        self = &pipeline;
        ResampleProcessor proc({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        Result<ExportSummary> result = makeError(ErrorCode::Internal, "not run");
        std::thread worker([&] { result = pipeline.run(proc); });
        // WHEN paused THEN no further frame is written while it stays paused
        QTRY_VERIFY_WITH_TIMEOUT(pipeline.isPaused(), 10000);
        QTest::qWait(400);
        QCOMPARE(done.load(), int64_t(2));
        // WHEN resumed THEN it finishes with every frame
        pipeline.resume();
        worker.join();
        QVERIFY2(result.ok(), result.ok() ? "" : result.error().message.c_str());
        QCOMPARE(result->framesTotal, int64_t(30));
    }

    void errorInOneStageStopsAll() {
        // GIVEN a processor that fails on frame 5 THEN the export fails with its message
        ExportRequest req = baseRequest(m_cfr, path("fail.mp4"));
        ProbeProcessor proc(0, 5);
        auto r = ExportPipeline(req).run(proc);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Internal);
        QVERIFY(r.error().message.find("frame 5") != std::string::npos);
        QVERIFY(!fs::exists(req.output));
        QVERIFY(!fs::exists(req.output.string() + ".part"));
        // AND a missing input is an input error, not a crash
        req.input = path("missing.mp4");
        auto m = ExportPipeline(req).run(proc);
        QVERIFY(!m.ok());
        QCOMPARE(m.error().code, ErrorCode::NotFound);
    }

    void encoderQueueHoldsTwoBursts() {
        // GIVEN plans of engines that hand out 1, 8 or 8 huge frames at once
        ProcessorPlan plan;
        plan.output.width = 1408;
        plan.output.height = 768;
        // THEN room for two bursts before the encoder, at least the minimum, within 1 GiB
        QCOMPARE(encodeQueueCapacity(plan, 4), size_t(4));
        plan.outputBurstFrames = 8;
        QCOMPARE(encodeQueueCapacity(plan, 4), size_t(16));
        QCOMPARE(encodeQueueCapacity(plan, 32), size_t(32));
        plan.output.width = 7680;
        plan.output.height = 4320;
        plan.outputFormat =
            AV_PIX_FMT_RGB48;  // 199 MB a frame: five fit in 1 GiB, one burst does not
        QCOMPARE(encodeQueueCapacity(plan, 4), size_t(8));
    }

    void stageSecondsSayWhereTheTimeWent_data() {
        QTest::addColumn<int>("mode");
        QTest::newRow("overlapped") << int(PipelineMode::Overlapped);
        QTest::newRow("serial") << int(PipelineMode::Serial);
    }
    void stageSecondsSayWhereTheTimeWent() {
        QFETCH(int, mode);
        // GIVEN an engine that hands out its frames in bursts of 8
        ExportRequest req =
            baseRequest(m_cfr, path(("burst-" + std::to_string(mode) + ".mp4").c_str()));
        req.mode = PipelineMode(mode);
        BurstProcessor proc(8);
        // WHEN the 30-frame clip is exported
        auto r = ExportPipeline(req).run(proc);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
        // THEN every frame is out, in order, with the source's timestamps
        auto a = decodeClip(m_cfr);
        auto b = decodeClip(req.output);
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs, a->ptsUs);
        QCOMPARE(r->framesWritten, int64_t(30));
        // AND the encoder's queue had room for two bursts
        if (req.mode == PipelineMode::Overlapped)
            QCOMPARE(r->encodeQueueCapacity, size_t(16));
        // AND each stage's busy and waiting seconds lie within the run: every stage did work, and
        // in serial mode nothing waited and the stages add up to at most the run
        const StageSeconds& s = r->stages;
        QVERIFY(s.decode > 0 && s.process > 0 && s.encode > 0);
        for (double t : {s.decode, s.process, s.processBlocked, s.encode, s.encodeStarved}) {
            QVERIFY(t >= 0);
            QVERIFY2(t <= r->seconds,
                     qPrintable(QString("%1 s of a %2 s run").arg(t).arg(r->seconds)));
        }
        if (req.mode == PipelineMode::Serial) {
            QCOMPARE(s.processBlocked, 0.0);
            QCOMPARE(s.encodeStarved, 0.0);
            QVERIFY(s.decode + s.process + s.encode <= r->seconds);
        } else {
            QVERIFY(s.encode + s.encodeStarved <= r->seconds);
        }
    }

    void segmentedResumeEqualsUninterrupted() {
        // GIVEN a lossless (FFV1) reference export without segments
        ExportRequest ref = baseRequest(m_cfr, path("ref.mkv"));
        ref.encode = EncodeSettings{};
        ref.encode.codec = "ffv1";
        ResampleProcessor p0({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto r0 = ExportPipeline(ref).run(p0);
        QVERIFY2(r0.ok(), r0.ok() ? "" : r0.error().message.c_str());

        // WHEN a segmented export (8 frames per segment) stops after its 2nd segment
        ExportRequest seg = ref;
        seg.output = path("resumed.mkv");
        seg.segmentFrames = 8;
        seg.workDir = path("work");
        std::vector<SegmentRecord> done;
        std::stop_source stop;
        seg.onSegmentDone = [&](const SegmentRecord& s) -> Status {
            done.push_back(s);
            if (done.size() == 2)
                stop.request_stop();
            return {};
        };
        ResampleProcessor p1({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto r1 = ExportPipeline(seg).run(p1, stop.get_token());
        QVERIFY(!r1.ok());
        QVERIFY2(r1.error().code == ErrorCode::Cancelled, r1.error().message.c_str());
        QCOMPARE(done.size(), size_t(2));
        QCOMPARE(done[1].firstFrame, int64_t(8));
        QVERIFY(!fs::exists(seg.output));
        QVERIFY(fs::exists(seg.workDir / done[0].file));

        // AND resumes with a temporal engine needing 3 frames of warm-up
        seg.completedSegments = done;
        seg.onSegmentDone = nullptr;
        ProbeProcessor p2(3);
        auto r2 = ExportPipeline(seg).run(p2);
        QVERIFY2(r2.ok(), r2.ok() ? "" : r2.error().message.c_str());
        // THEN decoding restarted 3 frames before the resume point and only new frames were encoded
        QCOMPARE(p2.pushed.front(), int64_t(13));
        QCOMPARE(r2->framesWritten, int64_t(14));
        QCOMPARE(r2->framesTotal, int64_t(30));
        // AND the result equals the uninterrupted export frame for frame, bit for bit
        auto a = decodeClip(ref.output);
        auto b = decodeClip(seg.output);
        QVERIFY(a && b);
        QCOMPARE(b->ptsUs, a->ptsUs);
        QCOMPARE(b->rgb.size(), a->rgb.size());
        for (size_t i = 0; i < a->rgb.size(); ++i)
            QVERIFY2(a->rgb[i] == b->rgb[i], qPrintable(QString("frame %1").arg(i)));
        // AND the work folder is gone
        QVERIFY(!fs::exists(seg.workDir));
    }
};

QTEST_GUILESS_MAIN(TestExportPipeline)
#include "test_export_pipeline.moc"
