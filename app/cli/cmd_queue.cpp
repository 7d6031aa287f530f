// flashvsr queue add|list|run|pause|cancel|retry|restart|resume|remove|move: the persisted export
// queue.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "engine_factory.h"
#include "fvs/core/job_runner.h"
#include "fvs/core/media_source.h"
#include "fvs/core/xdg_paths.h"

namespace fvs::cli {

namespace fs = std::filesystem;
using core::JobQueue;

namespace {

int addJobs(JobQueue& queue, const JobOptions& o, int segmentFrames) {
    app::Engines engines(app::readEngineEnvironment());
    auto parsed = parseJobOptions(o, engines);
    if (!parsed)
        return reportError(parsed.error());
    for (const auto& notice : parsed->notices)
        std::cerr << "flashvsr: warning: " << notice << "\n";
    // The checks `upscale` makes before it runs, made now rather than when the queue runs: the
    // input is a video, the trim and crop fit it, the output can be written.
    for (const auto& spec : parsed->jobs) {
        auto info = core::probe(spec.input);
        if (!info)
            return reportError(info.error());
        if (auto st = spec.validateAgainst(info.value()); !st)
            return reportError(st.error());
        if (auto st = core::checkOutputPath(spec.output, spec.input, spec.encode.overwrite); !st)
            return reportError(st.error());
    }
    for (const auto& spec : parsed->jobs) {
        core::Job job = spec.toQueueJob(segmentFrames);
        auto id = queue.add(job);
        if (!id)
            return reportError(id.error());
        std::cout << id.value() << "\t" << job.input << " -> " << job.output << "\n";
    }
    return kExitOk;
}

int listJobs(const JobQueue& queue, bool json) {
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& j : queue.jobs())
            out.push_back({{"id", j.id},
                           {"state", core::toString(j.state)},
                           {"input", j.input},
                           {"output", j.output},
                           {"engine", core::toString(j.engine.engine)},
                           {"framesDone", j.framesDone},
                           {"framesTotal", j.framesTotal},
                           {"segments", j.segments.size()},
                           {"reason", j.reason}});
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    if (queue.jobs().empty())
        std::cout << "the queue is empty (" << queue.path().string() << ")\n";
    for (const auto& j : queue.jobs()) {
        std::cout << j.id << "\t" << core::toString(j.state) << "\t";
        if (j.framesTotal > 0)
            std::cout << j.framesDone << "/" << j.framesTotal;
        std::cout << "\t" << j.input << " -> " << j.output;
        if (!j.reason.empty())
            std::cout << "\t(" << j.reason << ")";
        std::cout << "\n";
    }
    return kExitOk;
}

int runJobs(JobQueue& queue, ProgressMode mode, int segmentFrames, std::stop_token stop) {
    auto lock = core::QueueRunLock::acquire(queue.path());
    if (!lock)
        return reportError(lock.error());
    // Opened again under the run lock: anything still "running" now is an orphan.
    auto fresh = JobQueue::open(queue.path());
    if (!fresh)
        return reportError(fresh.error());
    ProgressPrinter printer(mode);
    core::JobRunHooks hooks;
    hooks.segmentFrames = segmentFrames > 0 ? segmentFrames : 250;
    int index = 0;
    hooks.onStart = [&](const core::Job& j) {
        printer.start(j.input, j.output, index++, static_cast<int>(fresh->jobs().size()));
    };
    hooks.onProgress = [&](const core::Job&, const core::ExportProgress& p) { printer.update(p); };
    hooks.onWarning = [&](const core::Job&, const std::string& w) { printer.warning(w); };
    hooks.onFinish = [&](const core::Job& j, core::JobState state, const std::string& reason) {
        printer.finish(core::toString(state), reason, 0);
        if (state == core::JobState::Failed)
            std::cerr << "flashvsr: job " << j.id << " failed: " << reason << "\n";
    };
    // One Engines for the run: jobs with the same model options reuse the loaded model.
    app::Engines engines(app::readEngineEnvironment());
    auto summary = core::runQueue(
        fresh.value(), [&](const core::EngineSettings& s) { return engines.create(s); }, hooks,
        stop);
    if (!summary)
        return reportError(summary.error());
    if (summary->stopped)
        return kExitCancelled;
    if (summary->failed == 0)
        return kExitOk;
    return summary->done == 0 ? exitCodeFor(summary->lastErrorCode) : kExitPartial;
}

}  // namespace

int runQueue(int argc, char** argv) {
    const std::stop_token stop = installSignalStop();
    CLI::App app{"The export queue (" + core::defaultQueuePath().string() + ")", "flashvsr queue"};
    app.require_subcommand(1);
    app.fallthrough();
    std::string queueFile;
    app.add_option("--queue-file", queueFile,
                   "queue file (default: $FLASHVSR_QUEUE or the XDG one)");

    JobOptions addOptions;
    int segmentFrames = 0;
    auto* add = app.add_subcommand("add", "add jobs (same options as upscale)");
    addJobOptions(*add, addOptions);
    add->add_option("--segment-frames", segmentFrames, "frames per resumable segment (default 250)")
        ->check(CLI::Range(1, 1000000));

    bool json = false;
    auto* list = app.add_subcommand("list", "list the jobs");
    list->add_flag("--json", json, "as JSON");

    std::string progress;
    auto* run = app.add_subcommand("run", "run queued and interrupted jobs in order");
    run->add_option("--progress", progress, "bar, json or none")
        ->check(CLI::IsMember({"bar", "json", "none"}));
    run->add_option("--segment-frames", segmentFrames, "frames per segment for jobs without one")
        ->check(CLI::Range(1, 1000000));

    std::vector<uint64_t> ids;
    uint64_t id = 0;
    int position = 0;
    bool noRun = false;
    auto* pause = app.add_subcommand("pause", "pause a queued or running job (keeps its segments)");
    pause->add_option("id", id)->required();
    auto* cancel = app.add_subcommand("cancel", "cancel a job");
    cancel->add_option("id", id)->required();
    auto* retry = app.add_subcommand(
        "retry",
        "queue a failed/cancelled/interrupted/done job again; its checked segments are reused");
    retry->add_option("id", id)->required();
    auto* restart = app.add_subcommand(
        "restart",
        "queue a failed/cancelled/interrupted/done/paused job again from frame 0, "
        "deleting its segments");
    restart->add_option("id", id)->required();
    auto* remove = app.add_subcommand("remove", "remove a job that is not running");
    remove->add_option("id", id)->required();
    auto* move = app.add_subcommand("move", "move a job to a position (0 = first)");
    move->add_option("id", id)->required();
    move->add_option("position", position)->required();
    auto* resume = app.add_subcommand(
        "resume",
        "continue paused/interrupted jobs (all when no id) from their last segment, then run");
    resume->add_option("ids", ids);
    resume->add_flag("--no-run", noRun, "only mark them queued");
    resume->add_option("--progress", progress, "bar, json or none")
        ->check(CLI::IsMember({"bar", "json", "none"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    const fs::path path = queueFile.empty() ? core::defaultQueuePath() : fs::path(queueFile);
    auto queue = JobQueue::open(path);
    if (!queue)
        return reportError(queue.error());
    JobOptions progressOptions;
    progressOptions.progress = progress;
    const ProgressMode mode = progressModeOf(progressOptions);

    auto done = [](core::Status st) { return st ? kExitOk : reportError(st.error()); };
    if (*add)
        return addJobs(queue.value(), addOptions, segmentFrames);
    if (*list)
        return listJobs(queue.value(), json);
    if (*run)
        return runJobs(queue.value(), mode, segmentFrames, stop);
    if (*pause)
        return done(queue->pause(id));
    if (*cancel)
        return done(queue->cancel(id));
    if (*retry)
        return done(queue->retry(id));
    if (*restart)
        return done(core::restartJob(queue.value(), id));
    if (*remove) {
        const auto job = queue->find(id);
        if (int code = done(queue->remove(id)); code != kExitOk)
            return code;
        if (job)  // its segments; never a folder a tampered queue file points at
            if (core::Status st = core::removeJobWork(*job); !st)
                std::cerr << "flashvsr: " << st.error().message << "\n";
        return kExitOk;
    }
    if (*move)
        return done(queue->move(id, position));
    if (*resume) {
        if (ids.empty())
            for (const auto& j : queue->jobs())
                if (j.state == core::JobState::Paused || j.state == core::JobState::Interrupted)
                    ids.push_back(j.id);
        for (uint64_t each : ids)
            if (int code = done(queue->resume(each)); code != kExitOk)
                return code;
        if (noRun)
            return kExitOk;
        return runJobs(queue.value(), mode, segmentFrames, stop);
    }
    return kExitUsage;
}

}  // namespace fvs::cli
