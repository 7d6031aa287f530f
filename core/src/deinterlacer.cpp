#include "deinterlacer.h"

#include <string>

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>
}

namespace fvs::core::detail {

void Deinterlacer::GraphDeleter::operator()(AVFilterGraph* g) const {
    avfilter_graph_free(&g);
}

Deinterlacer::Deinterlacer(AVRational timeBase) : m_timeBase(timeBase) {}
Deinterlacer::~Deinterlacer() = default;

void Deinterlacer::reset() {
    m_graph.reset();
    m_source = m_sink = nullptr;
}

Status Deinterlacer::build(const AVFrame& first) {
    m_graph.reset(avfilter_graph_alloc());
    if (!m_graph)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate the deinterlace filter");
    const AVRational sar =
        first.sample_aspect_ratio.num > 0 ? first.sample_aspect_ratio : AVRational{1, 1};
    const std::string args =
        "video_size=" + std::to_string(first.width) + "x" + std::to_string(first.height) +
        ":pix_fmt=" + std::to_string(first.format) +
        ":time_base=" + std::to_string(m_timeBase.num) + "/" + std::to_string(m_timeBase.den) +
        ":pixel_aspect=" + std::to_string(sar.num) + "/" + std::to_string(sar.den);
    AVFilterContext* bwdif = nullptr;
    int err = avfilter_graph_create_filter(&m_source, avfilter_get_by_name("buffer"), "in",
                                           args.c_str(), nullptr, m_graph.get());
    if (err >= 0)
        err = avfilter_graph_create_filter(&bwdif, avfilter_get_by_name("bwdif"), "bwdif",
                                           "mode=send_frame:parity=auto:deint=all", nullptr,
                                           m_graph.get());
    if (err >= 0)
        err = avfilter_graph_create_filter(&m_sink, avfilter_get_by_name("buffersink"), "out",
                                           nullptr, nullptr, m_graph.get());
    if (err >= 0)
        err = avfilter_link(m_source, 0, bwdif, 0);
    if (err >= 0)
        err = avfilter_link(bwdif, 0, m_sink, 0);
    if (err >= 0)
        err = avfilter_graph_config(m_graph.get(), nullptr);
    if (err < 0) {
        reset();
        const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(first.format));
        return makeError(ErrorCode::Unsupported, std::string("cannot deinterlace ") +
                                                     (name ? name : "this") +
                                                     " video with bwdif: " + avErrorString(err));
    }
    return {};
}

Status Deinterlacer::push(const AVFrame* frame) {
    if (!m_graph) {
        if (!frame)
            return {};
        if (Status st = build(*frame); !st)
            return st;
    }
    AvFramePtr ref;
    if (frame) {
        ref = makeFrame();
        if (!ref || av_frame_ref(ref.get(), frame) < 0)
            return makeError(ErrorCode::OutOfMemory, "cannot reference a frame to deinterlace");
    }
    const int err = av_buffersrc_add_frame_flags(m_source, ref.get(), AV_BUFFERSRC_FLAG_KEEP_REF);
    if (err < 0)
        return makeError(ErrorCode::Internal, "deinterlace filter: " + avErrorString(err));
    return {};
}

Result<AvFramePtr> Deinterlacer::pull() {
    if (!m_graph)
        return AvFramePtr();
    AvFramePtr out = makeFrame();
    const int err = av_buffersink_get_frame(m_sink, out.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
        return AvFramePtr();
    if (err < 0)
        return makeError(ErrorCode::Internal, "deinterlace filter: " + avErrorString(err));
    if (out->best_effort_timestamp == AV_NOPTS_VALUE)
        out->best_effort_timestamp = out->pts;
    return out;
}

}  // namespace fvs::core::detail
