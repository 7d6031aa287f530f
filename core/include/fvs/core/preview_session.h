#pragma once
// PreviewSession: the pipeline loop for interactive preview. It decodes around the playhead, runs
// the engine (with the warm-up frames a temporal engine needs) and publishes (original, upscaled)
// RGBA8 frame pairs through a latest-wins Mailbox.
//
// Thread contract: the session owns one engine thread (std::jthread). Every FrameProcessor and
// MediaSource call happens on it. requestFrame()/stop() may be called from any thread and never
// block on engine work; a new request cancels the work for the previous one at the next frame.
// Listener callbacks run on the engine thread: they must only hand the news over (e.g. a queued
// invokeMethod), never touch a GUI object directly.
// A request that the running work cannot serve (a seek outside the stream being upscaled) and
// the session's end call FrameProcessor::requestStop() from the requesting thread, so a long
// engine step (a FlashVSR chunk) ends early; the engine thread reset()s the engine before it
// uses it again.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fvs/core/device_image.h"
#include "fvs/core/frame_processor.h"
#include "fvs/core/mailbox.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

// A tightly packed RGBA8 picture (stride = 4 * width). Shared, immutable once published.
struct RgbaImage {
    int width = 0;
    int height = 0;
    std::shared_ptr<const std::vector<uint8_t>> pixels;

    bool valid() const { return pixels && width > 0 && height > 0; }
};

struct PreviewFramePair {
    int64_t index = -1;
    int64_t ptsUs = 0;
    RgbaImage original;
    RgbaImage upscaled;  // invalid while the engine has not produced this frame
    // Set instead of `upscaled` when the engine produced the frame in GPU memory
    // (PreviewOptions::deviceFrames): the display shows it through CUDA-OpenGL interop. Core never
    // reads these pixels.
    std::shared_ptr<const DeviceImage> upscaledDevice;

    bool hasUpscaled() const { return upscaled.valid() || upscaledDevice != nullptr; }
};

// How much a frame request may upscale. The app asks for Ahead only while playing: a paused
// player upscales the frame it shows and then idles, and while an export runs the preview does
// not compete with it for the device (cached upscaled frames are still shown).
enum class PreviewUpscale {
    Ahead,      // the frame and PreviewOptions::framesAhead frames after it
    FrameOnly,  // the frame alone (plus the engine's warm-up frames)
    None,       // no engine work: the original, or the cached pair
};

using EngineFactory = std::function<Result<std::unique_ptr<FrameProcessor>>()>;

struct PreviewOptions {
    int framesAhead = 8;  // upscaled past the playhead so playback stays smooth
    int64_t cacheBytes = 768ll * 1024 * 1024;  // upscaled pairs kept for stepping back and forth
    bool upscale = true;                       // false: originals only (no engine)
    // Ask the engine for frames that stay in GPU memory (FrameProcessor::enableDeviceOutput). Only
    // a display that can show them (CUDA-OpenGL interop) sets it; engines that cannot keep
    // producing host frames.
    bool deviceFrames = false;
};

struct PreviewListener {
    std::function<void()> onFrameReady;  // a new pair is in frames()
    std::function<void(const ProcessorPlan&)> onEngineReady;
    std::function<void(const Error&)> onEngineError;  // the engine could not be made/configured
    std::function<void(int64_t index)> onUpscaled;    // frame index now in the cache
    std::function<void(int64_t index)> onEvicted;     // frame index dropped from the cache
    std::function<void(const Error&)> onError;        // decode/engine failure for a request
};

class PreviewSession {
public:
    // Opens the source now (so a bad file fails here, with the probe's error); the engine is made
    // on the engine thread by `makeEngine` (may be empty: originals only).
    static Result<std::unique_ptr<PreviewSession>> open(const std::filesystem::path& source,
                                                        EngineFactory makeEngine,
                                                        PreviewListener listener,
                                                        PreviewOptions options = {});
    ~PreviewSession();  // requests stop and joins the engine thread
    PreviewSession(const PreviewSession&) = delete;
    PreviewSession& operator=(const PreviewSession&) = delete;

    const StreamInfo& info() const;

    // Show frame `index` (clamped to the clip). Latest wins: an older pending request is dropped;
    // running engine work that cannot serve `index` is stopped (FrameProcessor::requestStop).
    // `upscale` None also stops running engine work at once.
    void requestFrame(int64_t index, PreviewUpscale upscale = PreviewUpscale::Ahead);

    // The newest published pair (latest wins).
    Mailbox<PreviewFramePair>& frames();

    // Whether the engine agreed to produce device frames (PreviewOptions::deviceFrames); known
    // from onEngineReady on.
    bool deviceFrames() const;

    // Snapshot of the cached (already upscaled) frame indices, sorted.
    std::vector<int64_t> upscaledIndices() const;

private:
    PreviewSession();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// One frame of a file as RGBA8, scaled down to at most maxHeight lines (aspect kept): timeline
// thumbnails. Opens its own MediaSource, so any thread may call it.
Result<RgbaImage> decodeThumbnail(const std::filesystem::path& path, int64_t frameIndex,
                                  int maxHeight);

}  // namespace fvs::core
