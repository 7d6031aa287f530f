#pragma once
// BoundedQueue<T>: a blocking multi-producer/multi-consumer queue with a capacity, close() and
// std::stop_token-aware waits. Waits loop on their predicate (no lost wake-ups).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>

namespace fvs::core {

template <class T>
class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity) : m_capacity(capacity ? capacity : 1) {}

    // Blocks while full. Returns false if the queue was closed or the stop was requested.
    bool push(T value, std::stop_token stop = {}) {
        std::unique_lock lock(m_mutex);
        if (!m_notFull.wait(lock, stop, [&] { return m_closed || m_items.size() < m_capacity; }))
            return false;
        if (m_closed)
            return false;
        m_items.push_back(std::move(value));
        m_notEmpty.notify_one();
        return true;
    }

    // Blocks while empty. nullopt when closed and drained, or when the stop was requested.
    std::optional<T> pop(std::stop_token stop = {}) {
        std::unique_lock lock(m_mutex);
        if (!m_notEmpty.wait(lock, stop, [&] { return m_closed || !m_items.empty(); }))
            return std::nullopt;
        if (m_items.empty())
            return std::nullopt;
        T value = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return value;
    }

    // No more pushes; pop() drains what is left, then returns nullopt.
    void close() {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_notEmpty.notify_all();
        m_notFull.notify_all();
    }

    std::size_t size() const {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }

private:
    const std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable_any m_notEmpty;
    std::condition_variable_any m_notFull;
    std::deque<T> m_items;
    bool m_closed = false;
};

}  // namespace fvs::core
