#pragma once
// FrameProcessor: the seam between the media pipeline and an engine (Lanczos, FlashVSR, ...).
//
// Contract: configure() once per stream; then push() frames in order and pull() outputs as they
// become ready; finish() at end of stream makes every remaining output available. Each pushed frame
// yields exactly one output frame, in order, carrying the input frame's pts and index
// (frame-exact). reset() drops all state (used after a seek) and keeps the configuration. Not
// thread-safe: one thread (the process stage) owns a processor.

#include <optional>
#include <string>

#include "fvs/core/frame.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

enum class ScaleFit {
    Exact,
    Fit,
    Fill
};  // for a target size: stretch, letterbox-free fit inside, cover+crop

struct ScaleRequest {
    double factor = 4.0;  // used when targetWidth/targetHeight are 0
    int targetWidth = 0;  // > 0: a target size instead of a factor
    int targetHeight = 0;
    ScaleFit fit = ScaleFit::Fit;
};

// Resolve the output size for an input (honours SAR: output pixels are square when the input's are
// not and a target size is given; with a factor the SAR is kept). Even sizes are not forced here.
struct OutputGeometry {
    int width = 0;
    int height = 0;
    AVRational sar{1, 1};
};
Result<OutputGeometry> resolveOutputGeometry(const StreamInfo& in, const ScaleRequest& scale);

struct ProcessorPlan {
    AVPixelFormat inputFormat = AV_PIX_FMT_RGB24;   // the pipeline converts decoded frames to this
    AVPixelFormat outputFormat = AV_PIX_FMT_RGB24;  // what pull() returns
    OutputGeometry output;
    int latencyFrames = 0;  // frames pushed before the first pull succeeds
    // The most frames one push() or finish() may make ready at once in the steady state (a
    // chunked engine: its chunk). The pipeline keeps room for two bursts before the encoder, so
    // the engine never waits for the encoder to take a burst frame by frame.
    int outputBurstFrames = 1;
    std::string engineName;         // "lanczos", "bicubic", "flashvsr"
    std::string engineDescription;  // model version and settings, for output metadata
};

class FrameProcessor {
public:
    virtual ~FrameProcessor() = default;

    virtual Result<ProcessorPlan> configure(const StreamInfo& input) = 0;
    virtual Status push(Frame frame) = 0;
    virtual std::optional<Frame> pull() = 0;
    virtual Status finish() = 0;
    virtual void reset() = 0;
    virtual int latencyFrames() const = 0;
    // Frames of warm-up context a temporal engine needs before a resume or seek point (0: none).
    virtual int warmupFrames() const { return 0; }

    // Cooperative cancellation. The one call that may come from another thread: a push() or
    // finish() running or started later returns ErrorCode::Cancelled soon after (an engine checks
    // between its steps). reset() re-arms the processor. Default: nothing to interrupt.
    virtual void requestStop() {}

    // Preview on a GPU display: with `on`, pull() returns frames whose pixels stay in device memory
    // (Frame::device set, Frame::av null). Returns whether the processor will do so; engines
    // without device frames return false and keep returning host frames.
    virtual bool enableDeviceOutput(bool on) { return !on; }
};

}  // namespace fvs::core
