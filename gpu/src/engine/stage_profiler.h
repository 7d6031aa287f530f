#pragma once
// StageProfiler: opt-in wall-time split of the engine's stages (StreamOptions::profile). Each mark
// synchronises the device, so it is for finding where the time goes, never for production runs.
// State is per thread: a stream turns it on for its chunk with a Scope on the thread running it.

#include <chrono>
#include <string>

#include <torch/torch.h>

namespace fvs::gpu {

class StageProfiler {
public:
    // On for this thread while it lives (nests; restores the previous state).
    class Scope {
    public:
        explicit Scope(bool on);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        bool m_previous;
    };

    static bool enabled();  // on this thread
    // Adds the time since the previous mark (or begin()) of this thread to `stage`.
    static void mark(const char* stage, const torch::Device& device);
    // Starts a measured span without attributing the time before it.
    static void begin(const torch::Device& device);
    // Synchronises the device and returns the ms since `last`, which becomes now (always on: the
    // caller decides whether to profile).
    static double lapMs(std::chrono::steady_clock::time_point& last, const torch::Device& device);
    // "stage total_ms, ..." for the stages marked since the last drain(), then forgets them.
    static std::string drain();
};

}  // namespace fvs::gpu
