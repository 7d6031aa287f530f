#include "engine/model_cache.h"

#include <vector>

namespace fvs::gpu {

ModelCache::ModelCache(std::chrono::milliseconds idleRelease)
    : m_idleRelease(idleRelease), m_janitor([this](std::stop_token stop) { janitor(stop); }) {}

ModelCache::~ModelCache() {
    m_janitor.request_stop();
    m_changed.notify_all();
}

core::Result<std::shared_ptr<const FlashVsrModel>> ModelCache::acquire(
    const ModelFolderReport& folder, const ModelOptions& options,
    const FlashVsrModel::Progress& progress, std::stop_token stop) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(folder.folder, ec);
    const Key key{(ec ? folder.folder : canonical).string(), options.device.str(),
                  static_cast<int>(options.dtype), static_cast<int>(options.decoder),
                  options.version};
    std::lock_guard loading(m_loadMutex);
    std::shared_ptr<const FlashVsrModel> model;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_entries.find(key); it != m_entries.end()) {
            model = it->second.model;
        } else {
            releaseUnusedLocked(nullptr);  // memory for the new model first
        }
    }
    const bool load = !model;
    if (load) {
        auto loaded = FlashVsrModel::load(folder, options, progress, stop);
        if (!loaded) {
            return loaded.error();
        }
        model = *loaded;
    }
    std::lock_guard lock(m_mutex);
    m_loads += load ? 1 : 0;
    auto& entry = m_entries[key];  // again if the janitor released it meanwhile
    entry.model = model;
    ++entry.leases;
    // The lease: the cache gets the model back when its last copy goes.
    std::weak_ptr<ModelCache> self = weak_from_this();
    return std::shared_ptr<const FlashVsrModel>(model.get(), [model, self, key](const auto*) {
        if (auto cache = self.lock()) {
            cache->returned(key);
        }
    });
}

void ModelCache::returned(const Key& key) {
    {
        std::lock_guard lock(m_mutex);
        auto it = m_entries.find(key);
        if (it == m_entries.end() || --it->second.leases > 0) {
            return;
        }
        it->second.idleSince = std::chrono::steady_clock::now();
    }
    m_changed.notify_all();
}

void ModelCache::releaseUnused() {
    std::lock_guard lock(m_mutex);
    releaseUnusedLocked(nullptr);
}

void ModelCache::releaseUnusedLocked(const Key* keep) {
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (it->second.leases == 0 && (keep == nullptr || it->first != *keep)) {
            it = m_entries.erase(it);
        } else {
            ++it;
        }
    }
}

void ModelCache::janitor(std::stop_token stop) {
    std::unique_lock lock(m_mutex);
    while (!stop.stop_requested()) {
        // The earliest deadline of an idle model, if any.
        auto next = std::chrono::steady_clock::time_point::max();
        for (const auto& [key, e] : m_entries) {
            if (e.leases == 0) {
                next = std::min(next, e.idleSince + m_idleRelease);
            }
        }
        if (next == std::chrono::steady_clock::time_point::max()) {
            m_changed.wait(lock, stop, [&] {
                for (const auto& [key, e] : m_entries) {
                    if (e.leases == 0) {
                        return true;
                    }
                }
                return false;
            });
            continue;
        }
        if (std::chrono::steady_clock::now() < next) {
            m_changed.wait_until(lock, stop, next, [] { return false; });
            continue;  // woken early (a lease came or went, or stop): look again
        }
        const auto now = std::chrono::steady_clock::now();
        for (auto it = m_entries.begin(); it != m_entries.end();) {
            if (it->second.leases == 0 && now >= it->second.idleSince + m_idleRelease) {
                it = m_entries.erase(it);
            } else {
                ++it;
            }
        }
    }
}

int64_t ModelCache::loads() const {
    std::lock_guard lock(m_mutex);
    return m_loads;
}

int64_t ModelCache::cached() const {
    std::lock_guard lock(m_mutex);
    return static_cast<int64_t>(m_entries.size());
}

}  // namespace fvs::gpu
