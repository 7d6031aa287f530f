#include "engine/stage_profiler.h"

#include <chrono>
#include <cstdio>
#include <map>

namespace fvs::gpu {
namespace {

using Clock = std::chrono::steady_clock;

struct ThreadState {
    bool enabled = false;
    Clock::time_point last{};
    std::map<std::string, double> totals;  // ms per stage, ordered by name
};

ThreadState& state() {
    thread_local ThreadState s;
    return s;
}

void sync(const torch::Device& device) {
    if (device.is_cuda()) {
        torch::cuda::synchronize(device.has_index() ? device.index() : -1);
    }
}

}  // namespace

StageProfiler::Scope::Scope(bool on) : m_previous(state().enabled) {
    state().enabled = on;
}

StageProfiler::Scope::~Scope() {
    state().enabled = m_previous;
}

bool StageProfiler::enabled() {
    return state().enabled;
}

void StageProfiler::begin(const torch::Device& device) {
    if (!enabled()) {
        return;
    }
    sync(device);
    state().last = Clock::now();
}

double StageProfiler::lapMs(Clock::time_point& last, const torch::Device& device) {
    sync(device);
    const auto now = Clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
    return ms;
}

void StageProfiler::mark(const char* stage, const torch::Device& device) {
    if (!enabled()) {
        return;
    }
    auto& s = state();
    const bool started = s.last != Clock::time_point{};
    const double ms = lapMs(s.last, device);
    if (started) {
        s.totals[stage] += ms;
    }
}

std::string StageProfiler::drain() {
    auto& s = state();
    std::string out;
    for (const auto& [stage, ms] : s.totals) {
        char item[96];
        std::snprintf(item, sizeof item, "%s%s %.1f", out.empty() ? "" : ", ", stage.c_str(), ms);
        out += item;
    }
    s.totals.clear();
    return out;
}

}  // namespace fvs::gpu
