#include "fvs/core/job_runner.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

#include "fvs/core/segment_store.h"

namespace fvs::core {

namespace fs = std::filesystem;

namespace {

fs::path workDirNamed(const Job& job, std::string name) {
    return fs::path(job.output).parent_path() /
           ("." + name + ".flashvsr-work-" + std::to_string(job.id));
}

}  // namespace

fs::path defaultWorkDir(const Job& job) {
    // No '%' in it: the image muxer would expand the frame pattern of a sequence's output there.
    std::string name = fs::path(job.output).filename().string();
    std::replace(name.begin(), name.end(), '%', '_');
    return workDirNamed(job, name);
}

Result<fs::path> resolveWorkDir(const Job& job) {
    if (job.output.empty() || fs::path(job.output).filename().empty())
        return makeError(ErrorCode::InvalidArgument,
                         "job " + std::to_string(job.id) + " has no output file");
    const fs::path own = defaultWorkDir(job);
    if (job.workDir.empty())
        return own;
    std::error_code ec;
    const fs::path recorded = fs::weakly_canonical(fs::absolute(job.workDir, ec), ec);
    const fs::path expected = fs::weakly_canonical(fs::absolute(own, ec), ec);
    // Queue files of earlier versions kept the '%' of a sequence pattern in the name (nothing was
    // ever written there: sequences were not segmented).
    const fs::path legacy = fs::weakly_canonical(
        fs::absolute(workDirNamed(job, fs::path(job.output).filename().string()), ec), ec);
    if (recorded != expected && recorded != legacy) {
        return makeError(ErrorCode::InvalidInput,
                         "the queue file gives job " + std::to_string(job.id) +
                             " the work folder " + job.workDir + ", but its work folder is " +
                             own.string() + "; refusing to use (or delete) anything else");
    }
    return own;
}

Status removeJobWork(const Job& job) {
    auto dir = resolveWorkDir(job);
    if (!dir)
        return dir.error();
    removeWorkFiles(dir.value());
    return {};
}

Status restartJob(JobQueue& queue, uint64_t id) {
    return queue.restart(id, [](const Job& j) { return removeJobWork(j); });
}

namespace {

// What happened to one job.
struct JobOutcome {
    JobState state = JobState::Done;
    std::string reason;
    ErrorCode code = ErrorCode::Internal;
};

JobOutcome failed(const Error& e) {
    return {JobState::Failed, e.message, e.code};
}

// Records the source's identity on the first run, and refuses a source that changed since the
// recorded segments were rendered from it (they would be joined with frames of another clip).
Status checkSource(JobQueue& queue, Job& job) {
    auto now = identifyFile(job.input);
    if (!now)
        return {};  // missing or unreadable: the export reports that with its own error
    if (job.hasWork() && job.source.recorded()) {
        const std::string diff = identityDifference(job.source, now.value());
        if (!diff.empty())
            return makeError(
                ErrorCode::InvalidInput,
                "the input " + job.input + " is not the file this job started from (" + diff +
                    "); its " + std::to_string(job.segments.size()) +
                    " completed segments are kept and the clips are not mixed: put the original "
                    "file back and resume, or restart the job from scratch");
        return {};
    }
    job.source = now.value();
    return queue.update(job.id, [&](Job& j) -> Status {
        j.source = job.source;
        return {};
    });
}

JobOutcome runOne(JobQueue& queue, Job job, const ProcessorFactory& factory,
                  const JobRunHooks& hooks, std::stop_token outerStop) {
    auto workDir = resolveWorkDir(job);
    if (!workDir)
        return failed(workDir.error());  // nothing is touched
    job.workDir = workDir->string();
    if (!job.hasWork())
        removeWorkFiles(workDir.value());  // stale files of a restarted or cancelled run
    if (Status st = queue.update(job.id,
                                 [&](Job& j) -> Status {
                                     j.workDir = job.workDir;
                                     return {};
                                 });
        !st)
        return failed(st.error());
    if (hooks.onStart)
        hooks.onStart(job);
    if (Status st = checkSource(queue, job); !st)
        return failed(st.error());

    auto processor = factory(job.engine);
    if (!processor)
        return failed(processor.error());

    std::stop_source jobStop;
    std::stop_callback forward(outerStop, [&] { jobStop.request_stop(); });
    std::mutex stateMutex;
    JobState requested = JobState::Running;  // what another process asked for via the file
    auto lastCheck = std::chrono::steady_clock::now();

    ExportRequest req;
    req.input = job.input;
    req.output = job.output;
    req.encode = job.encode;
    req.trim = job.trim;
    req.crop = job.crop;
    req.deinterlace = job.deinterlace;
    req.segmentFrames = job.segmentFrames > 0 ? job.segmentFrames : hooks.segmentFrames;
    req.workDir = job.workDir;
    req.completedSegments = job.segments;
    req.joinedOutput = job.joinedOutput;
    req.keptFrames = job.kept;
    req.metadata = {{"flashvsr_job", std::to_string(job.id)}};
    std::set<std::string> warned;  // each segment's encoder repeats the same warnings
    req.onWarning = [&](const std::string& w) {
        if (hooks.onWarning && warned.insert(w).second)
            hooks.onWarning(job, w);
    };
    req.onSegmentDone = [&](const SegmentRecord& s) -> Status {
        return queue.update(job.id, [&](Job& j) -> Status {
            // A segment rendered again replaces the rejected record and everything after it.
            std::erase_if(j.segments,
                          [&](const SegmentRecord& r) { return r.firstFrame >= s.firstFrame; });
            j.segments.push_back(s);
            j.kept = {};  // kept frames belong to the open segment, which this one closed
            j.framesDone = s.firstFrame + s.frameCount;
            return {};
        });
    };
    req.onFramesKept = [&](const KeptFrames& k) -> Status {
        return queue.update(job.id, [&](Job& j) -> Status {
            j.kept = k;
            j.framesDone = j.keptFrames();
            return {};
        });
    };
    req.onOutputJoined = [&](const FileIdentity& id) -> Status {
        return queue.update(job.id, [&](Job& j) -> Status {
            j.joinedOutput = id;
            return {};
        });
    };
    req.onProgress = [&](const ExportProgress& p) {
        if (hooks.onProgress)
            hooks.onProgress(job, p);
        const auto now = std::chrono::steady_clock::now();
        if (now - lastCheck < hooks.statusInterval)
            return;
        lastCheck = now;
        // Publish progress and pick up pause/cancel requests made by other processes.
        JobState seen = JobState::Running;
        (void)queue.update(job.id, [&](Job& j) -> Status {
            seen = j.state;
            j.framesDone = p.framesDone;
            j.framesTotal = p.framesTotal;
            return {};
        });
        if (seen == JobState::Paused || seen == JobState::Cancelled) {
            std::lock_guard lock(stateMutex);
            requested = seen;
            jobStop.request_stop();
        }
    };

    // A pause or cancel (from this process or through the queue file) also stops the engine inside
    // its current step; ExportPipeline does the same, this covers a stop that lands before run()
    // has registered its own callback.
    std::stop_callback stopEngine(jobStop.get_token(),
                                  [&processor] { processor.value()->requestStop(); });
    ExportPipeline pipeline(req);
    auto result = pipeline.run(*processor.value(), jobStop.get_token());
    if (result)
        return {JobState::Done, {}, ErrorCode::Internal};
    const Error& e = result.error();
    if (e.code == ErrorCode::Cancelled) {
        std::lock_guard lock(stateMutex);
        if (requested == JobState::Paused)
            return {JobState::Paused, {}, e.code};
        if (requested == JobState::Cancelled)
            return {JobState::Cancelled, {}, e.code};
        return {JobState::Interrupted,
                "stopped by the user; resume continues from the last segment", e.code};
    }
    return failed(e);
}

}  // namespace

Result<QueueRunSummary> runQueue(JobQueue& queue, const ProcessorFactory& factory,
                                 const JobRunHooks& hooks, std::stop_token stop) {
    QueueRunSummary summary;
    while (!stop.stop_requested()) {
        auto next = queue.claimNext();
        if (!next)
            return next.error();
        if (!next->has_value())
            break;
        const Job job = **next;
        const JobOutcome outcome = runOne(queue, job, factory, hooks, stop);
        std::optional<Job> finished;
        Status st = queue.update(job.id, [&](Job& j) -> Status {
            j.state = outcome.state;
            j.reason = outcome.reason;
            j.pid = 0;
            if (outcome.state == JobState::Paused || outcome.state == JobState::Interrupted)
                j.framesDone = j.keptFrames();  // what a resume starts from, not what was lost
            if (outcome.state == JobState::Done) {
                j.segments.clear();
                j.kept = {};
                j.joinedOutput = {};
                j.framesDone = j.framesTotal = std::max(j.framesTotal, j.framesDone);
            }
            // A failed job keeps its segments: retry checks and reuses them.
            if (outcome.state == JobState::Cancelled) {
                j.segments.clear();
                j.kept = {};
                j.joinedOutput = {};
                j.framesDone = 0;
            }
            finished = j;
            return {};
        });
        if (outcome.state == JobState::Cancelled && finished)
            (void)removeJobWork(*finished);  // refuses a work folder that is not the job's own
        if (hooks.onFinish)
            hooks.onFinish(job, outcome.state, outcome.reason);
        if (!st)
            return st.error();
        switch (outcome.state) {
            case JobState::Done:
                ++summary.done;
                break;
            case JobState::Failed:
                ++summary.failed;
                summary.lastErrorCode = outcome.code;
                break;
            case JobState::Cancelled:
                ++summary.cancelled;
                break;
            case JobState::Paused:
                ++summary.paused;
                break;
            default:
                summary.stopped = true;
                return summary;
        }
    }
    summary.stopped = summary.stopped || stop.stop_requested();
    return summary;
}

}  // namespace fvs::core
