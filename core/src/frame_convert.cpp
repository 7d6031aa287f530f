#include "fvs/core/frame_convert.h"

#include <string>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace fvs::core {
namespace {

bool isRgbLike(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

int swsMatrix(AVColorSpace space) {
    switch (space) {
        case AVCOL_SPC_BT709:
            return SWS_CS_ITU709;
        case AVCOL_SPC_FCC:
            return SWS_CS_FCC;
        case AVCOL_SPC_SMPTE240M:
            return SWS_CS_SMPTE240M;
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL:
            return SWS_CS_BT2020;
        case AVCOL_SPC_BT470BG:
        case AVCOL_SPC_SMPTE170M:
            return SWS_CS_ITU601;
        default:
            return SWS_CS_ITU709;
    }
}

}  // namespace

int bitDepthOf(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d ? d->comp[0].depth : 8;
}

AVPixelFormat processingFormatFor(const StreamInfo& source) {
    return source.bitDepth > 8 ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24;
}

YuvColor yuvColorFor(const StreamInfo& source) {
    YuvColor c;
    switch (source.colorSpace) {
        case AVCOL_SPC_BT709:
        case AVCOL_SPC_FCC:
        case AVCOL_SPC_SMPTE240M:
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL:
        case AVCOL_SPC_BT470BG:
        case AVCOL_SPC_SMPTE170M:
            c.matrix = source.colorSpace;
            break;
        default:
            // Same guess as players (and FFmpeg) make for untagged video.
            c.matrix = source.height >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
            break;
    }
    const bool rgbSource = isRgbLike(source.pixelFormat);
    if (!rgbSource && source.colorRange == AVCOL_RANGE_JPEG) {
        c.range = AVCOL_RANGE_JPEG;
    } else {
        c.range = AVCOL_RANGE_MPEG;
    }
    // yuvj* formats are full range whatever the tag says.
    if (source.pixelFormat == AV_PIX_FMT_YUVJ420P || source.pixelFormat == AV_PIX_FMT_YUVJ422P ||
        source.pixelFormat == AV_PIX_FMT_YUVJ444P) {
        c.range = AVCOL_RANGE_JPEG;
    }
    return c;
}

Result<Frame> FrameConverter::convert(const Frame& in, AVPixelFormat format, int width, int height,
                                      const YuvColor& color, int cropWidth, int cropHeight) {
    if (!in.valid())
        return makeError(ErrorCode::InvalidArgument, "convert: empty frame");
    if (width <= 0 || height <= 0) {
        return makeError(ErrorCode::InvalidArgument, "convert: bad size " + std::to_string(width) +
                                                         "x" + std::to_string(height));
    }
    const int srcW = cropWidth > 0 ? std::min(cropWidth, in.width()) : in.width();
    const int srcH = cropHeight > 0 ? std::min(cropHeight, in.height()) : in.height();
    AVPixelFormat srcFormat = in.format();
    // swscale wants the non-deprecated formats; the J variants mean full range.
    AVColorRange srcRange = color.range;
    if (srcFormat == AV_PIX_FMT_YUVJ420P)
        srcFormat = AV_PIX_FMT_YUV420P, srcRange = AVCOL_RANGE_JPEG;
    if (srcFormat == AV_PIX_FMT_YUVJ422P)
        srcFormat = AV_PIX_FMT_YUV422P, srcRange = AVCOL_RANGE_JPEG;
    if (srcFormat == AV_PIX_FMT_YUVJ444P)
        srcFormat = AV_PIX_FMT_YUV444P, srcRange = AVCOL_RANGE_JPEG;

    const bool rebuild = !m_sws || srcW != m_srcW || srcH != m_srcH || width != m_dstW ||
                         height != m_dstH || srcFormat != m_srcFormat || format != m_dstFormat ||
                         color.matrix != m_color.matrix || color.range != m_color.range ||
                         srcRange != m_srcRange;
    if (rebuild) {
        // ACCURATE_RND + FULL_CHR_H_INT: exact rounding and full chroma interpolation, so a
        // round trip RGB -> YUV -> RGB does not drift.
        m_sws.reset(
            sws_getContext(srcW, srcH, srcFormat, width, height, format,
                           SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP,
                           nullptr, nullptr, nullptr));
        if (!m_sws) {
            return makeError(
                ErrorCode::Unsupported,
                std::string("no conversion from ") +
                    (av_get_pix_fmt_name(srcFormat) ? av_get_pix_fmt_name(srcFormat) : "?") +
                    " to " + (av_get_pix_fmt_name(format) ? av_get_pix_fmt_name(format) : "?"));
        }
        const int* coeffs = sws_getCoefficients(swsMatrix(color.matrix));
        const int srcFull = isRgbLike(srcFormat) ? 1 : (srcRange == AVCOL_RANGE_JPEG ? 1 : 0);
        const int dstFull = isRgbLike(format) ? 1 : (color.range == AVCOL_RANGE_JPEG ? 1 : 0);
        // Same table on both sides: it is the YUV side's matrix (ignored on an RGB side).
        sws_setColorspaceDetails(m_sws.get(), coeffs, srcFull, coeffs, dstFull, 0, 1 << 16,
                                 1 << 16);
        m_srcW = srcW, m_srcH = srcH, m_dstW = width, m_dstH = height;
        m_srcFormat = srcFormat, m_dstFormat = format, m_color = color, m_srcRange = srcRange;
    }

    Frame out;
    out.index = in.index;
    out.ptsUs = in.ptsUs;
    out.av = makeFrame();
    if (!out.av)
        return makeError(ErrorCode::OutOfMemory, "convert: frame allocation failed");
    out.av->format = format;
    out.av->width = width;
    out.av->height = height;
    if (int err = av_frame_get_buffer(out.av.get(), 0); err < 0) {
        return makeError(ErrorCode::OutOfMemory, "convert: " + avErrorString(err));
    }
    av_frame_copy_props(out.av.get(), in.av.get());
    sws_scale(m_sws.get(), in.av->data, in.av->linesize, 0, srcH, out.av->data, out.av->linesize);
    if (!isRgbLike(format)) {
        out.av->colorspace = color.matrix;
        out.av->color_range = color.range;
    } else {
        out.av->colorspace = AVCOL_SPC_RGB;
        out.av->color_range = AVCOL_RANGE_JPEG;
    }
    return out;
}

}  // namespace fvs::core
