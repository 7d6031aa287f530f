// runQueue: jobs run in order, failures recorded with their reason, and a pause requested through
// the queue file by "another process" stops the job keeping its segments; resuming finishes it
// with every frame.
#include <QtTest>

#include <atomic>
#include <fstream>

#include "fvs/core/job_runner.h"
#include "fvs/core/resample_processor.h"
#include "pipeline_test_util.h"

using namespace fvs::core;
using namespace fvs::test;
namespace fs = std::filesystem;

namespace {

Result<std::unique_ptr<FrameProcessor>> lanczos(const EngineSettings& s) {
    return std::unique_ptr<FrameProcessor>(
        std::make_unique<ResampleProcessor>(ResampleOptions{ResampleKernel::Lanczos3, s.scale}));
}

// Lanczos that counts requestStop() calls: a cancel must reach the engine inside its step.
class StopCountingLanczos : public FrameProcessor {
public:
    StopCountingLanczos(const EngineSettings& s, std::atomic<int>& stops)
        : m_inner({ResampleKernel::Lanczos3, s.scale}), m_stops(stops) {}
    Result<ProcessorPlan> configure(const StreamInfo& in) override { return m_inner.configure(in); }
    Status push(Frame f) override { return m_inner.push(std::move(f)); }
    std::optional<Frame> pull() override { return m_inner.pull(); }
    Status finish() override { return m_inner.finish(); }
    void reset() override { m_inner.reset(); }
    int latencyFrames() const override { return m_inner.latencyFrames(); }
    void requestStop() override {
        ++m_stops;
        m_inner.requestStop();
    }

private:
    ResampleProcessor m_inner;
    std::atomic<int>& m_stops;
};

Job jobFor(const fs::path& in, const fs::path& out) {
    Job j;
    j.input = in.string();
    j.output = out.string();
    j.engine.engine = EngineKind::Lanczos;
    j.engine.scale = ScaleRequest{2.0};
    j.encode.codec = "ffv1";
    j.segmentFrames = 10;
    return j;
}

}  // namespace

class TestJobRunner : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    fs::path path(const char* n) { return fs::path(m_dir.path().toStdString()) / n; }

private Q_SLOTS:
    void initTestCase() {
        av_log_set_level(AV_LOG_FATAL);
        QVERIFY(makeCfrClip(QString::fromStdString(path("in.mp4").string()), 60));
    }

    void runsInOrderAndRecordsFailures() {
        // GIVEN a good job and one whose input is not a video
        {
            std::ofstream bogus(path("bogus.mp4"));
            bogus << "text";
        }
        auto q = JobQueue::open(path("q1.json"));
        QVERIFY(q.ok());
        const uint64_t bad = q->add(jobFor(path("bogus.mp4"), path("bogus-out.mkv"))).value();
        const uint64_t good = q->add(jobFor(path("in.mp4"), path("good-out.mkv"))).value();
        std::vector<uint64_t> started;
        JobRunHooks hooks;
        hooks.onStart = [&](const Job& j) { started.push_back(j.id); };
        // WHEN the queue runs
        auto summary = runQueue(q.value(), lanczos, hooks);
        QVERIFY(summary.ok());
        // THEN both ran in order, one failed with a reason, one done with every frame
        QCOMPARE(started, (std::vector<uint64_t>{bad, good}));
        QCOMPARE(summary->done, 1);
        QCOMPARE(summary->failed, 1);
        QCOMPARE(summary->lastErrorCode, ErrorCode::InvalidInput);
        auto reread = JobQueue::open(path("q1.json"));
        QCOMPARE(reread->find(bad)->state, JobState::Failed);
        QVERIFY(!reread->find(bad)->reason.empty());
        QCOMPARE(reread->find(good)->state, JobState::Done);
        QCOMPARE(reread->find(good)->framesDone, int64_t(60));
        QVERIFY(reread->find(good)->segments.empty());
        QVERIFY(!fs::exists(reread->find(good)->workDir));
        auto out = decodeClip(path("good-out.mkv"));
        QVERIFY(out);
        QCOMPARE(out->ptsUs.size(), size_t(60));
    }

    void pauseThroughTheFileKeepsSegmentsAndResumeFinishes() {
        // GIVEN a running job WHEN another process pauses it after frame 25
        const fs::path qp = path("q2.json");
        auto q = JobQueue::open(qp);
        auto runLock = QueueRunLock::acquire(qp);  // as `flashvsr queue run` holds it
        QVERIFY(runLock.ok());
        const uint64_t id = q->add(jobFor(path("in.mp4"), path("paused-out.mkv"))).value();
        JobRunHooks hooks;
        hooks.statusInterval = std::chrono::milliseconds(0);
        bool pausedOnce = false;
        hooks.onProgress = [&](const Job&, const ExportProgress& p) {
            if (p.framesDone == 25 && !pausedOnce) {
                pausedOnce = true;
                auto other = JobQueue::open(qp);  // a second handle, like `flashvsr queue pause`
                QVERIFY(other->pause(id).ok());
            }
        };
        auto first = runQueue(q.value(), lanczos, hooks);
        QVERIFY(first.ok());
        QCOMPARE(first->paused, 1);
        // THEN it is paused, with its completed segments kept and no output yet
        auto mid = JobQueue::open(qp);
        QCOMPARE(mid->find(id)->state, JobState::Paused);
        QCOMPARE(mid->find(id)->segments.size(), size_t(2));
        QVERIFY(!fs::exists(path("paused-out.mkv")));
        // WHEN resumed and run again THEN it finishes from segment 3 with all 60 frames
        QVERIFY(mid->resume(id).ok());
        int64_t firstReported = -1;
        hooks.onProgress = [&](const Job&, const ExportProgress& p) {
            if (firstReported < 0)
                firstReported = p.framesDone;
        };
        auto second = runQueue(mid.value(), lanczos, hooks);
        QVERIFY(second.ok());
        QCOMPARE(second->done, 1);
        QCOMPARE(firstReported, int64_t(21));
        auto out = decodeClip(path("paused-out.mkv"));
        auto src = decodeClip(path("in.mp4"));
        QVERIFY(out && src);
        QCOMPARE(out->ptsUs, src->ptsUs);
    }

    void cancelThroughTheFileRemovesWork() {
        const fs::path qp = path("q3.json");
        auto q = JobQueue::open(qp);
        auto runLock = QueueRunLock::acquire(qp);
        QVERIFY(runLock.ok());
        const uint64_t id = q->add(jobFor(path("in.mp4"), path("cancel-out.mkv"))).value();
        JobRunHooks hooks;
        hooks.statusInterval = std::chrono::milliseconds(0);
        hooks.onProgress = [&](const Job&, const ExportProgress& p) {
            if (p.framesDone == 15)
                (void)JobQueue::open(qp)->cancel(id);
        };
        std::atomic<int> stops{0};
        auto counting = [&](const EngineSettings& s) -> Result<std::unique_ptr<FrameProcessor>> {
            return std::unique_ptr<FrameProcessor>(std::make_unique<StopCountingLanczos>(s, stops));
        };
        auto r = runQueue(q.value(), counting, hooks);
        QVERIFY(r.ok());
        QCOMPARE(r->cancelled, 1);
        QVERIFY(stops.load() >= 1);  // the engine was told, not only the pipeline's threads
        auto after = JobQueue::open(qp);
        QCOMPARE(after->find(id)->state, JobState::Cancelled);
        QVERIFY(after->find(id)->segments.empty());
        QVERIFY(!fs::exists(after->find(id)->workDir));
        QVERIFY(!fs::exists(path("cancel-out.mkv")));
    }
};

QTEST_GUILESS_MAIN(TestJobRunner)
#include "test_job_runner.moc"
