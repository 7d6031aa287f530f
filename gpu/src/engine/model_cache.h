#pragma once
// ModelCache: loaded models kept for reuse, keyed by (model folder, ModelOptions). acquire()
// hands out a lease (a shared_ptr whose last copy returns the model to the cache); a model with
// no lease is released `idleRelease` after its last lease ended, or at once when a model for
// another key must be loaded (device memory is the scarce thing) or on releaseUnused().
//
// Thread contract: every method may be called from any thread. Loading runs on the calling thread
// under the cache's load mutex (two callers wanting one model load it once). A janitor thread
// owned by the cache waits for the next idle deadline (a condition wait, no polling) and releases.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>

#include "engine/flashvsr_model.h"
#include "engine/flashvsr_options.h"

namespace fvs::gpu {

class ModelCache : public std::enable_shared_from_this<ModelCache> {
public:
    explicit ModelCache(std::chrono::milliseconds idleRelease);
    ~ModelCache();

    core::Result<std::shared_ptr<const FlashVsrModel>> acquire(
        const ModelFolderReport& folder, const ModelOptions& options,
        const FlashVsrModel::Progress& progress, std::stop_token stop);
    void releaseUnused();

    int64_t loads() const;
    int64_t cached() const;

private:
    using Key = std::tuple<std::string, std::string, int, int, std::string>;
    struct Entry {
        std::shared_ptr<const FlashVsrModel> model;
        int leases = 0;
        std::chrono::steady_clock::time_point idleSince{};
    };
    void returned(const Key& key);
    void janitor(std::stop_token stop);
    void releaseUnusedLocked(const Key* keep);

    std::chrono::milliseconds m_idleRelease;
    std::mutex m_loadMutex;  // one load at a time; taken before m_mutex
    mutable std::mutex m_mutex;
    std::condition_variable_any m_changed;
    std::map<Key, Entry> m_entries;
    int64_t m_loads = 0;
    std::jthread m_janitor;  // last: stops (and joins) before the members above go
};

}  // namespace fvs::gpu
