#pragma once
// FrameConverter: swscale-based pixel format / size conversion of a Frame with explicit colour
// handling (BT.601 / BT.709 / BT.2020 matrices, limited / full range). The pipeline uses it to feed
// processors RGB24 / RGB48LE, MediaSink uses it to produce the encoder's YUV format.
// Thread contract: one thread uses a FrameConverter at a time (it caches one SwsContext).

#include "fvs/core/frame.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

// The YUV side of a conversion: which matrix and range the YUV samples use.
struct YuvColor {
    AVColorSpace matrix = AVCOL_SPC_BT709;
    AVColorRange range = AVCOL_RANGE_MPEG;
};

// The processing format for a source: RGB24 for 8-bit sources, RGB48LE above 8 bits (so 10-bit in
// gives 10-bit out end to end).
AVPixelFormat processingFormatFor(const StreamInfo& source);

// The matrix and range a source's YUV samples use. Untagged sources follow what players assume:
// BT.709 from 720 lines up, BT.601 below; untagged range = limited. RGB sources get the same
// matrix rule (it is then the matrix used to encode them to YUV).
YuvColor yuvColorFor(const StreamInfo& source);

// Bits per component of a pixel format (8 for unknown formats).
int bitDepthOf(AVPixelFormat format);

class FrameConverter {
public:
    FrameConverter() = default;

    // Converts `in` to `format` at width x height. `color` describes the YUV side (input or output,
    // whichever is YUV; ignored for RGB -> RGB). cropWidth/cropHeight > 0 use only the top-left
    // cropWidth x cropHeight of the input (for codecs that need even sizes). The result keeps the
    // input's pts, index, ptsUs and duration and is tagged with `color` when it is YUV.
    Result<Frame> convert(const Frame& in, AVPixelFormat format, int width, int height,
                          const YuvColor& color, int cropWidth = 0, int cropHeight = 0);

private:
    SwsContextPtr m_sws;
    int m_srcW = 0, m_srcH = 0, m_dstW = 0, m_dstH = 0;
    AVPixelFormat m_srcFormat = AV_PIX_FMT_NONE, m_dstFormat = AV_PIX_FMT_NONE;
    YuvColor m_color{AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED};
    AVColorRange m_srcRange = AVCOL_RANGE_UNSPECIFIED;
};

}  // namespace fvs::core
