// Resume regressions, in process (the matrix covers real kills): a truncated, empty or missing
// segment is rendered again (never trusted), a replaced source is refused with its segments kept,
// a failed job keeps its segments and retry reuses them, and a tampered workDir is refused without
// deleting anything.
#include <QtTest>

#include <fstream>

#include "fvs/core/export_pipeline.h"
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

}  // namespace

class TestResumeRegressions : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    int m_case = 0;
    std::optional<DecodedClip> m_reference;  // the clip exported without interruption

    fs::path path(const std::string& n) const { return fs::path(m_dir.path().toStdString()) / n; }

    Job jobFor(const fs::path& in, const fs::path& out) const {
        Job j;
        j.input = in.string();
        j.output = out.string();
        j.engine.engine = EngineKind::Lanczos;
        j.engine.scale = ScaleRequest{2.0};
        j.encode.codec = "libx264";  // the default codec, B-frames and all
        j.segmentFrames = 10;
        return j;
    }

    // A job on its own copy of the clip, run until it is paused with two segments recorded.
    struct Paused {
        fs::path queue;
        uint64_t id = 0;
        Job job;
    };
    Paused pausedJob() {
        Paused p;
        const fs::path dir = path("case" + std::to_string(m_case++));
        fs::create_directories(dir);
        fs::copy_file(path("in.mp4"), dir / "in.mp4");
        p.queue = dir / "queue.json";
        auto q = JobQueue::open(p.queue);
        auto runLock = QueueRunLock::acquire(p.queue);
        p.id = q->add(jobFor(dir / "in.mp4", dir / "out.mp4")).value();
        JobRunHooks hooks;
        hooks.statusInterval = std::chrono::milliseconds(0);
        bool paused = false;
        hooks.onProgress = [&](const Job&, const ExportProgress& pr) {
            if (pr.framesDone == 25 && !paused) {
                paused = true;
                (void)JobQueue::open(p.queue)->pause(p.id);
            }
        };
        auto r = runQueue(q.value(), lanczos, hooks);
        if (!r || r->paused != 1)
            qWarning("the job did not pause");
        p.job = *JobQueue::open(p.queue)->find(p.id);
        return p;
    }

    // Resumes the job; returns the warnings and the frame the run started at.
    std::pair<std::vector<std::string>, int64_t> resume(const Paused& p, QueueRunSummary* out) {
        auto q = JobQueue::open(p.queue);
        auto runLock = QueueRunLock::acquire(p.queue);
        (void)q->resume(p.id);
        std::vector<std::string> warnings;
        int64_t first = -1;
        JobRunHooks hooks;
        hooks.onWarning = [&](const Job&, const std::string& w) { warnings.push_back(w); };
        hooks.onProgress = [&](const Job&, const ExportProgress& pr) {
            if (first < 0)
                first = pr.framesDone;
        };
        auto r = runQueue(q.value(), lanczos, hooks);
        if (r && out)
            *out = r.value();
        return {warnings, first};
    }

    void checkEqualsReference(const fs::path& out) {
        auto got = decodeClip(out);
        QVERIFY(got && m_reference);
        QCOMPARE(got->ptsUs, m_reference->ptsUs);
        for (size_t i = 0; i < got->rgb.size(); ++i)
            QVERIFY2(got->rgb[i] == m_reference->rgb[i], qPrintable(QString("frame %1").arg(i)));
    }

private Q_SLOTS:
    void initTestCase() {
        av_log_set_level(AV_LOG_FATAL);
        QVERIFY(makeCfrClip(QString::fromStdString(path("in.mp4").string()), 60));
        // The reference: the same job, uninterrupted.
        const fs::path q = path("ref.json");
        auto queue = JobQueue::open(q);
        auto runLock = QueueRunLock::acquire(q);
        QVERIFY(queue->add(jobFor(path("in.mp4"), path("ref.mp4"))).ok());
        auto r = runQueue(queue.value(), lanczos, {});
        QVERIFY(r && r->done == 1);
        m_reference = decodeClip(path("ref.mp4"));
        QVERIFY(m_reference);
        QCOMPARE(m_reference->ptsUs.size(), size_t(60));
    }

    void damagedSegmentIsRenderedAgain_data() {
        QTest::addColumn<QString>("damage");
        QTest::newRow("truncated") << "truncated";
        QTest::newRow("empty") << "empty";
        QTest::newRow("missing") << "missing";
        QTest::newRow("same size, other bytes") << "flipped";
    }
    void damagedSegmentIsRenderedAgain() {
        QFETCH(QString, damage);
        // GIVEN a paused job with two recorded segments, the second damaged
        Paused p = pausedJob();
        QCOMPARE(p.job.segments.size(), size_t(2));
        const fs::path seg = defaultWorkDir(p.job) / p.job.segments[1].file;
        QVERIFY(fs::exists(seg));
        if (damage == "truncated") {
            fs::resize_file(seg, fs::file_size(seg) / 2);
        } else if (damage == "empty") {
            fs::resize_file(seg, 0);
        } else if (damage == "missing") {
            fs::remove(seg);
        } else {
            std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(fs::file_size(seg) / 2));
            f.put('\x5a');
        }
        // WHEN it is resumed
        QueueRunSummary summary;
        auto [warnings, first] = resume(p, &summary);
        // THEN the damaged segment was named, rendered again from frame 10, and the result equals
        // the uninterrupted export (never 10 frames short)
        QCOMPARE(summary.done, 1);
        QCOMPARE(first, int64_t(11));
        const bool named = std::any_of(warnings.begin(), warnings.end(), [&](const std::string& w) {
            return w.find(p.job.segments[1].file) != std::string::npos;
        });
        QVERIFY2(named, warnings.empty() ? "no warning" : warnings.front().c_str());
        checkEqualsReference(p.job.output);
    }

    void replacedSourceIsRefusedAndSegmentsKept() {
        // GIVEN a paused job WHEN its input is replaced by another clip of the same length
        Paused p = pausedJob();
        QVERIFY(runFfmpeg({"-f", "lavfi", "-i", "mandelbrot=size=64x48:rate=25", "-frames:v", "60",
                           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                           QString::fromStdString(p.job.input + ".new.mp4")}));
        fs::rename(p.job.input + ".new.mp4", p.job.input);
        QueueRunSummary summary;
        resume(p, &summary);
        // THEN the job fails with a clear reason, nothing is mixed, and its segments stay
        QCOMPARE(summary.failed, 1);
        const Job after = *JobQueue::open(p.queue)->find(p.id);
        QCOMPARE(after.state, JobState::Failed);
        QVERIFY2(after.reason.find("not the file this job started from") != std::string::npos,
                 after.reason.c_str());
        QVERIFY(!fs::exists(after.output));
        QCOMPARE(after.segments.size(), size_t(2));
        for (const auto& s : after.segments)
            QVERIFY(fs::exists(defaultWorkDir(after) / s.file));
        // AND a restart from scratch renders the new clip
        QVERIFY(JobQueue::open(p.queue)->restart(p.id).ok());
        auto q = JobQueue::open(p.queue);
        auto r = runQueue(q.value(), lanczos, {});
        QVERIFY(r && r->done == 1);
        QCOMPARE(decodeClip(after.output)->ptsUs.size(), size_t(60));
    }

    void failedJobKeepsSegmentsAndRetryReusesThem() {
        // GIVEN a paused job WHEN something else takes its output name, so the resume fails
        Paused p = pausedJob();
        { std::ofstream(p.job.output) << "someone else's file"; }
        QueueRunSummary summary;
        resume(p, &summary);
        QCOMPARE(summary.failed, 1);
        Job after = *JobQueue::open(p.queue)->find(p.id);
        QCOMPARE(after.state, JobState::Failed);
        // THEN the segments are kept, and the other file is untouched
        QCOMPARE(after.segments.size(), size_t(2));
        QVERIFY(fs::exists(defaultWorkDir(after) / after.segments[0].file));
        std::ifstream other(p.job.output);
        std::string text;
        std::getline(other, text);
        QCOMPARE(text, std::string("someone else's file"));
        // WHEN the name is free again and the job retried THEN it continues after the segments
        fs::remove(p.job.output);
        QVERIFY(JobQueue::open(p.queue)->retry(p.id).ok());
        auto q = JobQueue::open(p.queue);
        int64_t first = -1;
        JobRunHooks hooks;
        hooks.onProgress = [&](const Job&, const ExportProgress& pr) {
            if (first < 0)
                first = pr.framesDone;
        };
        auto r = runQueue(q.value(), lanczos, hooks);
        QVERIFY(r && r->done == 1);
        QCOMPARE(first, int64_t(21));
        checkEqualsReference(p.job.output);
    }

    void tamperedWorkDirIsRefusedAndNothingDeleted_data() {
        QTest::addColumn<QString>("where");
        QTest::newRow("another folder") << "other";
        QTest::newRow("the output's folder") << "parent";
        QTest::newRow("a relative escape") << "escape";
    }
    void tamperedWorkDirIsRefusedAndNothingDeleted() {
        QFETCH(QString, where);
        // GIVEN a queue file whose job names a work folder that is not its own
        const fs::path dir = path("tamper" + std::to_string(m_case++));
        const fs::path precious = dir / "precious";
        fs::create_directories(precious);
        std::ofstream(precious / "keep.txt") << "mine";
        std::ofstream(dir / "keep.txt") << "mine too";
        const fs::path qp = dir / "queue.json";
        Job job = jobFor(path("in.mp4"), dir / "out.mp4");
        auto q = JobQueue::open(qp);
        const uint64_t id = q->add(job).value();
        const std::string workDir = where == "other" ? precious.string()
                                    : where == "parent"
                                        ? dir.string()
                                        : (defaultWorkDir(job).string() + "/../precious");
        QVERIFY(q->update(id, [&](Job& j) -> Status {
                     j.workDir = workDir;
                     return {};
                 }).ok());
        // WHEN the queue runs THEN the job fails naming the folder, and nothing is deleted
        auto r = runQueue(q.value(), lanczos, {});
        QVERIFY(r && r->failed == 1);
        const Job after = *JobQueue::open(qp)->find(id);
        QVERIFY2(after.reason.find("work folder") != std::string::npos, after.reason.c_str());
        QVERIFY(fs::exists(precious / "keep.txt"));
        QVERIFY(fs::exists(dir / "keep.txt"));
        QVERIFY(!fs::exists(after.output));
        // AND removing its work refuses too
        QVERIFY(!removeJobWork(after).ok());
        QVERIFY(fs::exists(precious / "keep.txt"));
    }

    void killedAfterTheRenameFinishesWithoutRejoining() {
        // GIVEN a segmented export that completed (joined output recorded, then renamed)
        ExportRequest req;
        req.input = path("in.mp4");
        req.output = path("renamed.mp4");
        req.encode.codec = "libx264";
        req.segmentFrames = 10;
        req.workDir = path(".renamed.work");
        std::vector<SegmentRecord> segments;
        FileIdentity joined;
        req.onSegmentDone = [&](const SegmentRecord& s) -> Status {
            segments.push_back(s);
            return {};
        };
        req.onOutputJoined = [&](const FileIdentity& id) -> Status {
            joined = id;
            return {};
        };
        ResampleProcessor p1({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        QVERIFY(ExportPipeline(req).run(p1).ok());
        QVERIFY(joined.recorded());
        // WHEN the run is repeated as a resume that finds the output it had renamed into place
        // (the process died before the queue said "done")
        req.completedSegments = segments;
        req.joinedOutput = joined;
        req.onSegmentDone = nullptr;
        ResampleProcessor p2({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto again = ExportPipeline(req).run(p2);
        // THEN it is done without an "output exists" error and the output is unchanged
        QVERIFY2(again.ok(), again.ok() ? "" : again.error().message.c_str());
        QCOMPARE(again->framesTotal, int64_t(60));
        QVERIFY(identifyFile(req.output).value() == joined);
        // AND a file under that name that is not the recorded one is never taken for it
        std::ofstream(req.output, std::ios::app) << "x";
        ResampleProcessor p3({ResampleKernel::Lanczos3, ScaleRequest{2.0}});
        auto other = ExportPipeline(req).run(p3);
        QVERIFY(!other.ok());
        QCOMPARE(other.error().code, ErrorCode::OutputExists);
    }

    void workDirThatIsALinkIsNotFollowed() {
        // GIVEN the job's own work folder name is a link to another folder
        const fs::path dir = path("link" + std::to_string(m_case++));
        fs::create_directories(dir / "elsewhere");
        std::ofstream(dir / "elsewhere" / "segment_000000.mov") << "not a segment of ours";
        const fs::path qp = dir / "queue.json";
        auto q = JobQueue::open(qp);
        Job job = jobFor(path("in.mp4"), dir / "out.mp4");
        const uint64_t id = q->add(job).value();
        job.id = id;
        fs::create_directory_symlink(dir / "elsewhere", defaultWorkDir(job));
        // WHEN it runs THEN it fails and the linked folder keeps its file
        auto r = runQueue(q.value(), lanczos, {});
        QVERIFY(r && r->failed == 1);
        QVERIFY(fs::exists(dir / "elsewhere" / "segment_000000.mov"));
        QVERIFY(removeJobWork(*JobQueue::open(qp)->find(id)).ok());
        QVERIFY(fs::exists(dir / "elsewhere" / "segment_000000.mov"));
    }
};

QTEST_GUILESS_MAIN(TestResumeRegressions)
#include "test_resume_regressions.moc"
