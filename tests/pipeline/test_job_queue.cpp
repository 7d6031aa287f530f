// JobQueue: persistence, the state machine, reorder/remove/retry, orphan detection and locking.
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "fvs/core/job_queue.h"
#include "fvs/core/job_runner.h"

using namespace fvs::core;
namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

Job sampleJob(const std::string& name) {
    Job j;
    j.input = "/videos/" + name + ".mp4";
    j.output = "/videos/" + name + ".flashvsr-x2.mp4";
    j.engine.engine = EngineKind::Lanczos;
    j.engine.scale = ScaleRequest{2.0, 0, 0, ScaleFit::Fit};
    j.encode.codec = "libx264";
    j.encode.crf = 18;
    j.encode.preset = "ultrafast";
    j.trim.startFrame = 10;
    j.trim.endFrame = 50;
    j.crop = CropRect{2, 4, 100, 60};
    return j;
}

}  // namespace

class TestJobQueue : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    int m_strict = 0;
    fs::path queuePath(const char* name) { return fs::path(m_dir.path().toStdString()) / name; }

private Q_SLOTS:
    void persistsAndReloads() {
        // GIVEN a new queue WHEN two jobs are added THEN a fresh JobQueue reads them back intact
        const fs::path path = queuePath("a/queue.json");
        auto q = JobQueue::open(path);
        QVERIFY(q.ok());
        auto id1 = q->add(sampleJob("one"));
        auto id2 = q->add(sampleJob("two"));
        QVERIFY(id1.ok() && id2.ok());
        QVERIFY(*id2 > *id1);
        QVERIFY(fs::exists(path));

        auto again = JobQueue::open(path);
        QVERIFY(again.ok());
        QCOMPARE(int(again->jobs().size()), 2);
        const Job j = *again->find(*id1);
        QCOMPARE(j.input, std::string("/videos/one.mp4"));
        QCOMPARE(j.engine.engine, EngineKind::Lanczos);
        QCOMPARE(j.engine.scale.factor, 2.0);
        QCOMPARE(j.encode.crf, 18);
        QCOMPARE(j.encode.preset, std::string("ultrafast"));
        QCOMPARE(j.trim.startFrame, int64_t(10));
        QCOMPARE(j.trim.endFrame, int64_t(50));
        QCOMPARE(j.crop.height, 60);
        QCOMPARE(j.state, JobState::Queued);
        QVERIFY(!j.createdAt.empty());
        // AND no temporary file is left next to it
        for (const auto& e : fs::directory_iterator(path.parent_path()))
            QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos,
                     e.path().c_str());
    }

    void stateMachine() {
        auto q = JobQueue::open(queuePath("sm.json"));
        QVERIFY(q.ok());
        const uint64_t id = q->add(sampleJob("x")).value();
        // queued -> paused -> queued
        QVERIFY(q->pause(id).ok());
        QCOMPARE(q->find(id)->state, JobState::Paused);
        QVERIFY(q->resume(id).ok());
        QCOMPARE(q->find(id)->state, JobState::Queued);
        // a queued job cannot be resumed or retried
        QVERIFY(!q->resume(id).ok());
        QVERIFY(!q->retry(id).ok());
        // cancel, then retry from scratch (segments dropped)
        QVERIFY(q->update(id, [](Job& j) -> Status {
                     j.segments.push_back({"seg.mkv", 0, 25});
                     return {};
                 }).ok());
        QVERIFY(q->cancel(id).ok());
        QCOMPARE(q->find(id)->state, JobState::Cancelled);
        QVERIFY(!q->cancel(id).ok());
        QVERIFY(q->retry(id).ok());
        QCOMPARE(q->find(id)->state, JobState::Queued);
        QVERIFY(q->find(id)->segments.empty());
        // failed keeps its reason until retried
        QVERIFY(q->update(id, [](Job& j) -> Status {
                     j.state = JobState::Failed;
                     j.reason = "disk full";
                     return {};
                 }).ok());
        auto reread = JobQueue::open(queuePath("sm.json"));
        QCOMPARE(reread->find(id)->reason, std::string("disk full"));
        QVERIFY(!q->find(999).has_value());
        QCOMPARE(q->pause(999).error().code, ErrorCode::NotFound);
    }

    void reorderAndRemove() {
        auto q = JobQueue::open(queuePath("order.json"));
        const uint64_t a = q->add(sampleJob("a")).value();
        const uint64_t b = q->add(sampleJob("b")).value();
        const uint64_t c = q->add(sampleJob("c")).value();
        // WHEN c moves to the front THEN the order is c a b, also after a reload
        QVERIFY(q->move(c, 0).ok());
        QVERIFY(q->move(a, 99).ok());  // clamped to the end
        auto r = JobQueue::open(queuePath("order.json"));
        QCOMPARE(r->jobs()[0].id, c);
        QCOMPARE(r->jobs()[1].id, b);
        QCOMPARE(r->jobs()[2].id, a);
        // WHEN b is removed THEN it is gone; a running job cannot be removed
        QVERIFY(q->remove(b).ok());
        QCOMPARE(int(q->jobs().size()), 2);
        auto claimed = q->claimNext();
        QVERIFY(claimed.ok() && claimed->has_value());
        QCOMPARE((*claimed)->id, c);  // the first in order
        QCOMPARE((*claimed)->pid, int64_t(::getpid()));
        QVERIFY(!q->remove(c).ok());
        // ids are never reused after a removal
        QVERIFY(q->add(sampleJob("d")).value() > c);
    }

    void orphanedRunningJobBecomesInterrupted() {
        const fs::path path = queuePath("orphan.json");
        auto q = JobQueue::open(path);
        const uint64_t id = q->add(sampleJob("o")).value();
        {
            // GIVEN a runner (this process, holding the run lock) running the job
            auto lock = QueueRunLock::acquire(path);
            QVERIFY(lock.ok());
            QVERIFY(q->claimNext().ok());
            // THEN another runner is refused
            QVERIFY(!QueueRunLock::acquire(path).ok());
            QVERIFY(QueueRunLock::heldElsewhere(path));
            // AND opening the queue meanwhile leaves the job running
            auto live = JobQueue::open(path);
            QCOMPARE(live->find(id)->state, JobState::Running);
            // WHEN the runner's pid is that of a process that has exited
            const pid_t child = ::fork();
            if (child == 0)
                ::_exit(0);
            ::waitpid(child, nullptr, 0);
            QVERIFY(q->update(id, [&](Job& j) -> Status {
                         j.pid = child;
                         j.segments.push_back({"segment_000000.mkv", 0, 30});
                         return {};
                     }).ok());
            auto dead = JobQueue::open(path);
            // THEN it is interrupted, keeping its segments
            QCOMPARE(dead->find(id)->state, JobState::Interrupted);
            QCOMPARE(int(dead->find(id)->segments.size()), 1);
            QVERIFY(dead->find(id)->reason.find(std::to_string(child)) != std::string::npos);
        }
        // GIVEN a running job with a live pid but no runner holding the lock (pid reused)
        QVERIFY(q->update(id, [](Job& j) -> Status {
                     j.state = JobState::Running;
                     j.pid = ::getpid();
                     return {};
                 }).ok());
        QVERIFY(!QueueRunLock::heldElsewhere(path));
        auto orphan = JobQueue::open(path);
        QCOMPARE(orphan->find(id)->state, JobState::Interrupted);
        // AND an interrupted job resumes to queued with its segments kept
        QVERIFY(orphan->resume(id).ok());
        QCOMPARE(orphan->find(id)->state, JobState::Queued);
        QCOMPARE(orphan->find(id)->segmentedFrames(), int64_t(30));
    }

    void corruptFileIsReportedNotOverwritten() {
        const fs::path path = queuePath("corrupt.json");
        {
            std::ofstream out(path);
            out << "{ this is not json";
        }
        auto q = JobQueue::open(path);
        QVERIFY(!q.ok());
        QCOMPARE(q.error().code, ErrorCode::InvalidInput);
        QVERIFY(q.error().message.find("corrupt.json") != std::string::npos);
        QCOMPARE(readAll(path), std::string("{ this is not json"));
    }

    void outOfRangeNumbersAreReportedNotOverwritten() {
        // GIVEN queue files whose integer fields hold floats no integer can hold (converting them
        // was undefined behaviour; found by tests/fuzz/fuzz_queue_json)
        for (const std::string text :
             {R"({"jobs":[{"id":1,"encode":{"crf":1e300}}]})", R"({"jobs":[{"id":-1.0}]})",
              R"({"nextId":1e20,"jobs":[]})"}) {
            const fs::path path = queuePath("range.json");
            {
                std::ofstream out(path);
                out << text;
            }
            // WHEN opened THEN an InvalidInput error names the file and it is left as it was
            auto q = JobQueue::open(path);
            QVERIFY(!q.ok());
            QCOMPARE(q.error().code, ErrorCode::InvalidInput);
            QVERIFY2(q.error().message.find("range.json") != std::string::npos,
                     q.error().message.c_str());
            QCOMPARE(readAll(path), text);
        }
        // AND ordinary floats (scale factor, ratios) still load
        const fs::path ok = queuePath("floats.json");
        {
            std::ofstream out(ok);
            out << R"({"jobs":[{"id":3,"engine":{"scale":{"factor":1.5},"sparseRatio":2.5}}]})";
        }
        auto q = JobQueue::open(ok);
        QVERIFY2(q.ok(), q ? "" : q.error().message.c_str());
        QCOMPARE(q->find(3)->engine.scale.factor, 1.5);
    }

    void strictFileErrorsNameTheFileAndKeepIt_data() {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("named");  // what the message must mention
        QTest::newRow("unknown state") << "\"state\": \"queued\""
                                       << "\"state\": \"exploded\""
                                       << "exploded";
        QTest::newRow("unknown field") << "\"reason\": \"\""
                                       << "\"reason\": \"\", \"colour\": 1"
                                       << "colour";
        QTest::newRow("unknown top-level field") << "\"nextId\""
                                                 << "\"extra\": true, \"nextId\""
                                                 << "extra";
        QTest::newRow("wrong type") << "\"crf\": 18"
                                    << "\"crf\": \"high\""
                                    << "crf";
        QTest::newRow("out of range") << "\"crf\": 18"
                                      << "\"crf\": 99999999999"
                                      << "crf";
        QTest::newRow("negative segment size") << "\"segmentFrames\": 0"
                                               << "\"segmentFrames\": -5"
                                               << "segmentFrames";
        QTest::newRow("segment file outside the work folder")
            << "\"segments\": []"
            << "\"segments\": [{\"file\": \"../../etc/passwd\", \"firstFrame\": 0, "
               "\"frameCount\": 1}]"
            << "passwd";
        QTest::newRow("unknown scale fit") << "\"fit\": \"fit\""
                                           << "\"fit\": \"stretch\""
                                           << "stretch";
        QTest::newRow("newer format") << "\"version\": 3"
                                      << "\"version\": 7"
                                      << "version 7";
        QTest::newRow("duplicate id") << "\"jobs\": ["
                                      << "\"jobs\": [{\"id\": 1}, "
                                      << "twice";
    }
    void strictFileErrorsNameTheFileAndKeepIt() {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, named);
        // GIVEN a queue file with one job, edited by hand
        const fs::path path = queuePath(("strict-" + std::to_string(m_strict++) + ".json").c_str());
        {
            auto q = JobQueue::open(path);
            QVERIFY(q->add(sampleJob("s")).ok());
        }
        QString text = QString::fromStdString(readAll(path));
        QVERIFY2(text.contains(from), qPrintable(text));
        text.replace(text.indexOf(from), from.size(), to);
        {
            std::ofstream out(path, std::ios::trunc);
            out << text.toStdString();
        }
        // WHEN it is opened (or changed through another handle)
        auto q = JobQueue::open(path);
        // THEN the error names the file and what is wrong, and the file is unchanged
        QVERIFY(!q.ok());
        QCOMPARE(q.error().code, ErrorCode::InvalidInput);
        QVERIFY2(q.error().message.find(path.string()) != std::string::npos,
                 q.error().message.c_str());
        QVERIFY2(q.error().message.find(named.toStdString()) != std::string::npos,
                 q.error().message.c_str());
        QCOMPARE(QString::fromStdString(readAll(path)), text);
        // AND the same text given to the parser directly is refused the same way
        auto parsed = parseQueueDocument(text.toStdString(), path);
        QVERIFY(!parsed.ok());
    }

    void parserRoundTripsEveryField() {
        Job j = sampleJob("rt");
        j.id = 7;
        j.state = JobState::Interrupted;
        j.reason = "power loss";
        j.segmentFrames = 25;
        j.workDir = "/videos/.rt.flashvsr-x2.mp4.flashvsr-work-7";
        j.segments.push_back({"segment_000000.mov", 0, 25, 0, 12345, "00ff"});
        j.segments.push_back({"segment_000001.mov", 25, 25, 12800, 23456, "ff00"});
        j.source = FileIdentity{1000, 1234567890123, "abcd"};
        j.joinedOutput = FileIdentity{2000, 42, "ef01"};
        j.engine.memoryBudgetGiB = 15.5;
        j.engine.tileOverlap = 64;
        auto text = serializeQueueDocument(QueueDocument{8, {j}});
        QVERIFY(text.ok());
        auto doc = parseQueueDocument(text.value(), "rt.json");
        QVERIFY2(doc.ok(), doc.ok() ? "" : doc.error().message.c_str());
        QCOMPARE(doc->nextId, uint64_t(8));
        const Job& r = doc->jobs.at(0);
        QCOMPARE(r.state, JobState::Interrupted);
        QCOMPARE(r.segments.size(), size_t(2));
        QCOMPARE(r.segments[1].ptsOffset, int64_t(12800));
        QCOMPARE(r.segments[1].sizeBytes, int64_t(23456));
        QCOMPARE(r.segments[1].checksum, std::string("ff00"));
        QVERIFY(r.source == j.source);
        QVERIFY(r.joinedOutput == j.joinedOutput);
        QCOMPARE(r.crop.width, 100);
        QCOMPARE(r.engine.memoryBudgetGiB, 15.5);
        QCOMPARE(r.engine.tileOverlap, 64);
        // A format-1 file (no checksums, no identities) still loads
        auto old = parseQueueDocument(
            R"({"version": 1, "nextId": 3, "jobs": [{"id": 2, "state": "paused", "segments":
               [{"file": "segment_000000.nut", "firstFrame": 0, "frameCount": 10}]}]})",
            "old.json");
        QVERIFY2(old.ok(), old.ok() ? "" : old.error().message.c_str());
        QCOMPARE(old->jobs[0].segments[0].sizeBytes, int64_t(-1));
        // Bytes that are not JSON at all are an error, not a crash
        QVERIFY(!parseQueueDocument(std::string("\0\xff{", 3), "bin.json").ok());
    }

    void retryKeepsSegmentsRestartDropsThem() {
        auto q = JobQueue::open(queuePath("retry.json"));
        const uint64_t id = q->add(sampleJob("r")).value();
        QVERIFY(q->update(id, [](Job& j) -> Status {
                     j.state = JobState::Failed;
                     j.segments.push_back({"segment_000000.mov", 0, 25, 0, 10, "aa"});
                     j.source.sizeBytes = 5;
                     return {};
                 }).ok());
        QVERIFY(q->retry(id).ok());
        QCOMPARE(q->find(id)->state, JobState::Queued);
        QCOMPARE(q->find(id)->segments.size(), size_t(1));
        QCOMPARE(q->find(id)->framesDone, int64_t(25));
        QVERIFY(q->update(id, [](Job& j) -> Status {
                     j.state = JobState::Failed;
                     return {};
                 }).ok());
        QVERIFY(q->restart(id).ok());
        QVERIFY(q->find(id)->segments.empty());
        QVERIFY(!q->find(id)->source.recorded());
        QVERIFY(!q->restart(id).ok());  // queued already
    }

    void restartWaitsForTheRunnerAndDeletesTheWork() {
        // GIVEN a job paused while its runner (this process, holding the run lock) still stops it
        const fs::path qp = queuePath("restart/queue.json");
        auto q = JobQueue::open(qp);
        Job sample = sampleJob("restart");
        sample.output = (qp.parent_path() / "out.mp4").string();
        const uint64_t id = q->add(sample).value();
        Job job = *q->find(id);
        const fs::path work = defaultWorkDir(job);
        fs::create_directories(work);
        std::ofstream(work / "segment_000000.mov") << "frames";
        std::ofstream(work / "spill_000001.nut") << "kept";
        std::ofstream(work / "notes.txt") << "not ours";
        QVERIFY(q->update(id, [&](Job& j) -> Status {
                     j.state = JobState::Paused;
                     j.pid = ::getpid();
                     j.workDir = work.string();
                     j.segments.push_back({"segment_000000.mov", 0, 25, 0, 6, ""});
                     j.kept = {"spill_000001.nut", 25, 3, 0, 4, ""};
                     return {};
                 }).ok());
        {
            auto runLock = QueueRunLock::acquire(qp);
            QVERIFY(runLock);
            // WHEN it is restarted THEN that is refused and nothing is deleted
            auto st = restartJob(q.value(), id);
            QVERIFY(!st.ok());
            QVERIFY2(st.error().message.find("still being stopped") != std::string::npos,
                     st.error().message.c_str());
            QVERIFY(fs::exists(work / "segment_000000.mov"));
            QCOMPARE(q->find(id)->segments.size(), size_t(1));
        }
        // WHEN the runner has let go THEN the restart deletes our files (only ours) and queues it
        QVERIFY(restartJob(q.value(), id).ok());
        job = *q->find(id);
        QCOMPARE(job.state, JobState::Queued);
        QVERIFY(job.segments.empty());
        QVERIFY(!job.kept.recorded());
        QVERIFY(!fs::exists(work / "segment_000000.mov"));
        QVERIFY(!fs::exists(work / "spill_000001.nut"));
        QVERIFY(fs::exists(work / "notes.txt"));
        // AND a tampered work folder is refused, deleting nothing
        std::ofstream(work / "segment_000000.mov") << "frames";
        QVERIFY(q->update(id, [&](Job& j) -> Status {
                     j.state = JobState::Failed;
                     j.pid = 0;
                     j.workDir = qp.parent_path().string();
                     return {};
                 }).ok());
        QVERIFY(!restartJob(q.value(), id).ok());
        QCOMPARE(q->find(id)->state, JobState::Failed);
        QVERIFY(fs::exists(work / "segment_000000.mov"));
    }

    void atomicWriteReplacesWhole() {
        // GIVEN an existing file WHEN written atomically THEN it holds exactly the new text
        const fs::path path = queuePath("atomic/file.txt");
        QVERIFY(writeFileAtomically(path, std::string(100000, 'a')).ok());
        QVERIFY(writeFileAtomically(path, "short").ok());
        QCOMPARE(readAll(path), std::string("short"));
        // AND an unwritable folder gives an error, not a crash
        auto st = writeFileAtomically("/proc/flashvsr-test/q.json", "x");
        QVERIFY(!st.ok());
    }
};

QTEST_GUILESS_MAIN(TestJobQueue)
#include "test_job_queue.moc"
