#include "engine/compute_executor.h"

#include "model/wan_dit.h"

namespace fvs::gpu {

ComputeExecutor::Turn::Turn(ComputeExecutor& executor, ComputeRole role, std::stop_token stop)
    : m_executor(executor) {
    std::unique_lock lock(executor.m_mutex);
    bool ready = false;
    if (role == ComputeRole::Export) {
        ++executor.m_waitingExports;
        ready = executor.m_changed.wait(lock, stop, [&] { return !executor.m_busy; });
        --executor.m_waitingExports;
    } else {
        auto free = [&] {
            return !executor.m_busy && executor.m_openExports == 0 &&
                   executor.m_waitingExports == 0;
        };
        if (!free() && (executor.m_openExports > 0 || executor.m_waitingExports > 0)) {
            ++executor.m_previewWaits;
        }
        ready = executor.m_changed.wait(lock, stop, free);
    }
    if (!ready) {
        lock.unlock();
        executor.m_changed.notify_all();  // a preview may go now that this export waits no more
        throw StopRequested();
    }
    executor.m_busy = true;
}

ComputeExecutor::Turn::~Turn() {
    {
        std::lock_guard lock(m_executor.m_mutex);
        m_executor.m_busy = false;
    }
    m_executor.m_changed.notify_all();
}

void ComputeExecutor::endExport() {
    {
        std::lock_guard lock(m_mutex);
        --m_openExports;
    }
    m_changed.notify_all();
}

int64_t ComputeExecutor::previewWaits() const {
    std::lock_guard lock(m_mutex);
    return m_previewWaits;
}

void ExportSession::begin() {
    if (m_open) {
        return;
    }
    std::lock_guard lock(m_executor.m_mutex);
    ++m_executor.m_openExports;
    m_open = true;
}

void ExportSession::end() {
    if (!m_open) {
        return;
    }
    m_open = false;
    m_executor.endExport();
}

}  // namespace fvs::gpu
