#pragma once
// Mailbox<T>: a single-slot, latest-wins hand-over between threads. A new put() replaces a value
// that nobody took yet, so a slow consumer (the GUI) always sees the newest item and a fast
// producer (the engine) never blocks. Waits loop on their predicate and honour a std::stop_token.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>

namespace fvs::core {

template <class T>
class Mailbox {
public:
    // Stores value, replacing an untaken one. Returns true if an untaken value was replaced.
    bool put(T value) {
        std::lock_guard lock(m_mutex);
        const bool replaced = m_value.has_value();
        m_value = std::move(value);
        ++m_generation;
        m_changed.notify_all();
        return replaced;
    }

    // Takes the value if there is one; never blocks.
    std::optional<T> take() {
        std::lock_guard lock(m_mutex);
        std::optional<T> out = std::move(m_value);
        m_value.reset();
        return out;
    }

    // Blocks until a value is there or stop is requested (then nullopt).
    std::optional<T> wait(std::stop_token stop) {
        std::unique_lock lock(m_mutex);
        if (!m_changed.wait(lock, stop, [&] { return m_value.has_value(); }))
            return std::nullopt;
        std::optional<T> out = std::move(m_value);
        m_value.reset();
        return out;
    }

    bool hasValue() const {
        std::lock_guard lock(m_mutex);
        return m_value.has_value();
    }

    // Counts put() calls; lets a worker notice "something newer arrived" without taking it.
    unsigned long long generation() const {
        std::lock_guard lock(m_mutex);
        return m_generation;
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable_any m_changed;
    std::optional<T> m_value;
    unsigned long long m_generation = 0;
};

}  // namespace fvs::core
