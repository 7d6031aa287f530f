// resolveOutputGeometry: the single place that turns a ScaleRequest into an output size.
#include "fvs/core/frame_processor.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace fvs::core {

namespace {

// Larger outputs are refused up front: 16384 is the largest size x264/x265/NVENC accept and keeps
// one RGB48 frame under 1.6 GiB.
constexpr int kMaxOutputSide = 16384;

int roundPositive(double v) {
    return std::max(1, static_cast<int>(std::lround(v)));
}

}  // namespace

Result<OutputGeometry> resolveOutputGeometry(const StreamInfo& in, const ScaleRequest& scale) {
    if (in.width <= 0 || in.height <= 0)
        return makeError(ErrorCode::InvalidInput, "the input has no picture size (" +
                                                      std::to_string(in.width) + "x" +
                                                      std::to_string(in.height) + ")");
    AVRational sar = in.sar;
    if (sar.num <= 0 || sar.den <= 0)
        sar = AVRational{1, 1};

    OutputGeometry out;
    const bool bySize = scale.targetWidth > 0 || scale.targetHeight > 0;
    if (!bySize) {
        if (!(scale.factor >= 1.0 && scale.factor <= 8.0))
            return makeError(
                ErrorCode::InvalidArgument,
                "scale factor must be between 1 and 8, got " + std::to_string(scale.factor));
        out.width = roundPositive(in.width * scale.factor);
        out.height = roundPositive(in.height * scale.factor);
        out.sar = sar;  // same pixel shape, so the display aspect is unchanged
    } else {
        if (scale.targetWidth < 0 || scale.targetHeight < 0)
            return makeError(ErrorCode::InvalidArgument, "target size must be positive");
        if (scale.targetWidth > kMaxOutputSide || scale.targetHeight > kMaxOutputSide)
            return makeError(ErrorCode::InvalidArgument,
                             "requested size " + std::to_string(scale.targetWidth) + "x" +
                                 std::to_string(scale.targetHeight) + " exceeds the maximum of " +
                                 std::to_string(kMaxOutputSide) + " pixels per side");
        // Display size of the input in square pixels.
        const double displayW = in.width * av_q2d(sar);
        const double displayH = in.height;
        int tw = scale.targetWidth;
        int th = scale.targetHeight;
        // One side given: keep the display aspect.
        if (tw == 0)
            tw = roundPositive(th * displayW / displayH);
        if (th == 0)
            th = roundPositive(tw * displayH / displayW);
        if (scale.fit == ScaleFit::Fit && scale.targetWidth > 0 && scale.targetHeight > 0) {
            const double s = std::min(tw / displayW, th / displayH);
            tw = std::min(tw, roundPositive(displayW * s));
            th = std::min(th, roundPositive(displayH * s));
        }
        out.width = tw;
        out.height = th;
        out.sar = AVRational{1, 1};  // Exact stretches, Fill covers and crops: square pixels
    }
    if (out.width > kMaxOutputSide || out.height > kMaxOutputSide)
        return makeError(ErrorCode::InvalidArgument,
                         "output size " + std::to_string(out.width) + "x" +
                             std::to_string(out.height) + " exceeds the maximum of " +
                             std::to_string(kMaxOutputSide) + " pixels per side");
    return out;
}

}  // namespace fvs::core
