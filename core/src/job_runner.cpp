#include "fvs/core/job_runner.h"

#include <chrono>
#include <mutex>
#include <set>

namespace fvs::core {

namespace fs = std::filesystem;

fs::path defaultWorkDir(const Job& job) {
    const fs::path out(job.output);
    return out.parent_path() /
           ("." + out.filename().string() + ".flashvsr-work-" + std::to_string(job.id));
}

namespace {

void removeWorkDir(const std::string& dir) {
    if (dir.empty())
        return;
    std::error_code ec;
    fs::remove_all(dir, ec);
}

// What happened to one job.
struct JobOutcome {
    JobState state = JobState::Done;
    std::string reason;
    ErrorCode code = ErrorCode::Internal;
};

JobOutcome runOne(JobQueue& queue, Job job, const ProcessorFactory& factory,
                  const JobRunHooks& hooks, std::stop_token outerStop) {
    if (job.workDir.empty())
        job.workDir = defaultWorkDir(job).string();
    if (job.segments.empty())
        removeWorkDir(job.workDir);  // stale files of a retried run
    (void)queue.update(job.id, [&](Job& j) -> Status {
        j.workDir = job.workDir;
        return {};
    });
    if (hooks.onStart)
        hooks.onStart(job);

    auto processor = factory(job.engine);
    if (!processor)
        return {JobState::Failed, processor.error().message, processor.error().code};

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
    req.metadata = {{"flashvsr_job", std::to_string(job.id)}};
    std::set<std::string> warned;  // each segment's encoder repeats the same warnings
    req.onWarning = [&](const std::string& w) {
        if (hooks.onWarning && warned.insert(w).second)
            hooks.onWarning(job, w);
    };
    req.onSegmentDone = [&](const SegmentRecord& s) -> Status {
        return queue.update(job.id, [&](Job& j) -> Status {
            j.segments.push_back(s);
            j.framesDone = s.firstFrame + s.frameCount;
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
    return {JobState::Failed, e.message, e.code};
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
        Status st = queue.update(job.id, [&](Job& j) -> Status {
            // Pause/cancel written by another process while we finished wins over "interrupted".
            j.state = outcome.state;
            j.reason = outcome.reason;
            j.pid = 0;
            if (outcome.state == JobState::Done) {
                j.segments.clear();
                j.framesDone = j.framesTotal = std::max(j.framesTotal, j.framesDone);
            }
            if (outcome.state == JobState::Cancelled || outcome.state == JobState::Failed)
                j.segments.clear();
            return {};
        });
        if (outcome.state == JobState::Cancelled || outcome.state == JobState::Failed)
            removeWorkDir(queue.find(job.id) ? queue.find(job.id)->workDir : job.workDir);
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
