#pragma once
// runQueue: executes the jobs of a JobQueue one after another with segmented, resumable exports.
// Each completed segment is recorded in the queue file (after it is on disk) before the next one
// starts, so a killed process loses at most one segment of work. The source's identity is recorded
// on the first run and a resume refuses a replaced source. A failed job keeps its segments (retry
// reuses them); a cancelled job's segments are deleted; a stop request leaves the job interrupted.
// Pause or cancel requested through the queue file by another process (flashvsr queue pause/cancel)
// is noticed within about a second. The caller holds the QueueRunLock of the queue for the whole
// call (otherwise other processes opening the queue take the running job for an orphan and mark it
// interrupted). Thread contract: blocks the calling thread; hooks run on pipeline threads.

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "fvs/core/engine_settings.h"
#include "fvs/core/export_pipeline.h"
#include "fvs/core/job_queue.h"

namespace fvs::core {

using ProcessorFactory =
    std::function<Result<std::unique_ptr<FrameProcessor>>(const EngineSettings&)>;

struct JobRunHooks {
    std::function<void(const Job&)> onStart;
    std::function<void(const Job&, const ExportProgress&)> onProgress;
    std::function<void(const Job&, const std::string&)> onWarning;
    // After each job: its final state and the reason (empty when done).
    std::function<void(const Job&, JobState, const std::string&)> onFinish;
    int segmentFrames = 250;  // frames per segment when the job does not say
    // How often the queue file is read back for pause/cancel requests and progress is saved.
    std::chrono::milliseconds statusInterval{1000};
};

struct QueueRunSummary {
    int done = 0;
    int failed = 0;
    int cancelled = 0;
    int paused = 0;
    bool stopped = false;  // the stop token fired; the running job was left interrupted
    ErrorCode lastErrorCode = ErrorCode::Internal;
};

// The work folder of a job: a hidden folder next to its output (a '%' of its name becomes '_').
std::filesystem::path defaultWorkDir(const Job& job);
// The job's work folder, checked: a workDir recorded in the queue file must resolve to
// defaultWorkDir(job) (InvalidInput otherwise: a tampered file never points the runner at another
// folder).
Result<std::filesystem::path> resolveWorkDir(const Job& job);
// Deletes the job's segments and its work folder (only files this module writes; see
// removeWorkFiles). Refuses, deleting nothing, when the recorded workDir is not the job's own.
Status removeJobWork(const Job& job);
// JobQueue::restart that also deletes the job's segments and kept frames at once (under the queue
// lock, so no runner claims the job in between). Refused, deleting nothing, while a runner still
// holds the job or when its recorded workDir is not its own.
Status restartJob(JobQueue& queue, uint64_t id);

Result<QueueRunSummary> runQueue(JobQueue& queue, const ProcessorFactory& factory,
                                 const JobRunHooks& hooks, std::stop_token stop = {});

}  // namespace fvs::core
