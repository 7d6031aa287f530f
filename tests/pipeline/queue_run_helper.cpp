// A tiny `queue run` for the resume tests: runs a queue file with the CPU resamplers (lanczos,
// bicubic) in a real process that can be killed. FVS_TEST_SIGNAL_AT=PHASE:FRAME:SIGNAL makes it
// signal itself once, e.g. "render:9:KILL" (SIGKILL after 9 frames are written), "join:3:KILL"
// (SIGKILL after 3 frames are joined into the output) or "render:9:TERM" (SIGTERM: a clean stop).
// SIGTERM and SIGINT request a stop, like the CLI does. Exit: 0 all done, 1 a job failed, 130
// stopped, 2 usage or queue errors.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "fvs/core/job_runner.h"
#include "fvs/core/resample_processor.h"

using namespace fvs::core;

namespace {

struct SignalAt {
    ExportPhase phase = ExportPhase::Rendering;
    int64_t frame = -1;
    int signal = 0;
};

SignalAt parseSignalAt(const char* text) {
    SignalAt at;
    if (!text)
        return at;
    const std::string s = text;
    const auto a = s.find(':'), b = s.rfind(':');
    if (a == std::string::npos || b == a)
        return at;
    at.phase = s.substr(0, a) == "join" ? ExportPhase::Joining : ExportPhase::Rendering;
    at.frame = std::stoll(s.substr(a + 1, b - a - 1));
    at.signal = s.substr(b + 1) == "TERM" ? SIGTERM : SIGKILL;
    return at;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: queue_run_helper QUEUE_FILE\n");
        return 2;
    }
    // Stop requests arrive on one thread through sigwait, never in a signal handler.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::stop_source stop;
    std::thread([&] {
        int sig = 0;
        sigwait(&set, &sig);
        stop.request_stop();
    }).detach();

    auto lock = QueueRunLock::acquire(argv[1]);
    if (!lock) {
        std::fprintf(stderr, "%s\n", lock.error().message.c_str());
        return 2;
    }
    auto queue = JobQueue::open(argv[1]);
    if (!queue) {
        std::fprintf(stderr, "%s\n", queue.error().message.c_str());
        return 2;
    }
    const SignalAt at = parseSignalAt(std::getenv("FVS_TEST_SIGNAL_AT"));
    bool signalled = false;
    JobRunHooks hooks;
    hooks.onProgress = [&](const Job&, const ExportProgress& p) {
        const int64_t n = p.phase == ExportPhase::Joining ? p.framesJoined : p.framesDone;
        if (!signalled && at.signal != 0 && p.phase == at.phase && n >= at.frame) {
            signalled = true;
            ::kill(::getpid(), at.signal);  // to the process: the sigwait thread takes SIGTERM
            // As if the signal landed while this frame was written: the stop is seen at the next
            // check, not some frames later.
            for (int i = 0; i < 5000 && !stop.stop_requested(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    };
    hooks.onWarning = [](const Job&, const std::string& w) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    };
    hooks.onFinish = [](const Job& j, JobState state, const std::string& reason) {
        std::printf("job %llu %s %s\n", static_cast<unsigned long long>(j.id), toString(state),
                    reason.c_str());
        std::fflush(stdout);
    };
    auto factory = [](const EngineSettings& s) -> Result<std::unique_ptr<FrameProcessor>> {
        const ResampleKernel kernel =
            s.engine == EngineKind::Bicubic ? ResampleKernel::Bicubic : ResampleKernel::Lanczos3;
        return std::unique_ptr<FrameProcessor>(
            std::make_unique<ResampleProcessor>(ResampleOptions{kernel, s.scale}));
    };
    auto summary = runQueue(queue.value(), factory, hooks, stop.get_token());
    if (!summary) {
        std::fprintf(stderr, "%s\n", summary.error().message.c_str());
        return 2;
    }
    if (summary->stopped)
        return 130;
    return summary->failed > 0 ? 1 : 0;
}
