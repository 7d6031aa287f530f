#pragma once
// ComputeExecutor: the one owner of a device's compute (architecture principle 3). Every FlashVSR
// processor on the device runs its tensor work (upload, resize, chunks, download) as pieces
// through run(): one piece at a time, so preview and export never issue device work together and
// their results are exactly those of running alone.
//
// Scheduling: an export session is open from its first piece until it ends (endExport(): its
// stream finished, was reset or destroyed). While any export session is open, or an export piece
// waits, preview pieces wait: the preview yields to a running export and resumes after it. An
// export piece waits only for the piece running now (at most one chunk of a preview).
//
// Thread contract: run() executes the piece on the calling thread (the processor's owner, so each
// stream stays with its one thread) and may be called from any number of threads; waits loop on
// a predicate and end early with StopRequested when the caller's stop token fires.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "fvs/gpu/flashvsr_engine.h"

namespace fvs::gpu {

class ComputeExecutor {
public:
    // Runs `piece` once it is `role`'s turn; its result or exception is the caller's.
    template <typename Piece>
    decltype(auto) run(ComputeRole role, std::stop_token stop, Piece&& piece) {
        const Turn turn(*this, role, stop);
        return piece();
    }

    // Preview pieces that had to wait for an export so far (tests, stats).
    int64_t previewWaits() const;

private:
    friend class ExportSession;
    void endExport();

    class Turn {
    public:
        Turn(ComputeExecutor& executor, ComputeRole role, std::stop_token stop);
        ~Turn();
        Turn(const Turn&) = delete;
        Turn& operator=(const Turn&) = delete;

    private:
        ComputeExecutor& m_executor;
    };
    friend class Turn;

    mutable std::mutex m_mutex;
    std::condition_variable_any m_changed;
    bool m_busy = false;       // a piece is running
    int m_waitingExports = 0;  // export pieces waiting for the running piece
    int m_openExports = 0;     // export sessions begun and not ended
    int64_t m_previewWaits = 0;
};

// Marks one export processor's session on an executor: begin() at its first piece, end() when
// its stream ends; the destructor ends it too.
class ExportSession {
public:
    explicit ExportSession(ComputeExecutor& executor) : m_executor(executor) {}
    ~ExportSession() { end(); }
    ExportSession(const ExportSession&) = delete;
    ExportSession& operator=(const ExportSession&) = delete;

    void begin();
    void end();

private:
    ComputeExecutor& m_executor;
    bool m_open = false;
};

}  // namespace fvs::gpu
