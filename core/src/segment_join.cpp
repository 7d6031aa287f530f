// joinSegments: lossless concatenation of video-only segments (segmented exports) into one
// output, with the source's passthrough streams, chapters and metadata, via .part + rename.
#include <cstring>
#include <system_error>

#include "fvs/core/frame_convert.h"
#include "fvs/core/media_sink.h"
#include "media_detail.h"
#include "media_sink_detail.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace fvs::core {
namespace fs = std::filesystem;

namespace {

struct Segment {
    AvInputFormatPtr fmt;
    int video = -1;
};

Result<Segment> openSegment(const fs::path& path) {
    Segment s;
    AVFormatContext* raw = nullptr;
    if (int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); err < 0) {
        return makeError(ErrorCode::InvalidInput,
                         "cannot open segment " + path.string() + ": " + avErrorString(err));
    }
    s.fmt.reset(raw);
    if (avformat_find_stream_info(raw, nullptr) < 0) {
        return makeError(ErrorCode::InvalidInput, "cannot read segment " + path.string());
    }
    s.video = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (s.video < 0)
        return makeError(ErrorCode::InvalidInput, "segment has no video: " + path.string());
    return s;
}

bool sameStream(const AVCodecParameters* a, const AVCodecParameters* b) {
    const bool sameExtradata =
        a->extradata_size == b->extradata_size &&
        (a->extradata_size == 0 || std::memcmp(a->extradata, b->extradata, a->extradata_size) == 0);
    return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height &&
           a->format == b->format && sameExtradata;
}

// The colour tags MediaSink gives its encoder, so a joined output is tagged like a direct one
// whatever the segment container kept of them.
void tagColours(AVCodecParameters* par, const StreamInfo& source) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(par->format));
    const bool rgb = d && (d->flags & AV_PIX_FMT_FLAG_RGB);
    const YuvColor color = yuvColorFor(source);
    par->color_primaries = source.colorPrimaries;
    par->color_trc = source.colorTransfer;
    par->color_space = rgb ? AVCOL_SPC_RGB : color.matrix;
    par->color_range = rgb ? AVCOL_RANGE_JPEG : color.range;
}

}  // namespace

Status joinSegments(const std::vector<fs::path>& segments, const StreamInfo& source,
                    const SinkOptions& options, const JoinControl& control) {
    if (segments.empty())
        return makeError(ErrorCode::InvalidArgument, "no segments to join");
    const fs::path input =
        !options.passthroughFrom.empty() ? options.passthroughFrom : fs::path(source.path);
    if (Status c = checkOutputPath(options.output, input, options.encode.overwrite); !c)
        return c;
    auto muxer = detail::muxerFor(options.encode, options.output);
    if (!muxer)
        return muxer.error();
    if (muxer.value() == "image2") {
        return makeError(ErrorCode::InvalidArgument, "image sequences are not written as segments");
    }
    auto first = openSegment(segments.front());
    if (!first)
        return first.error();
    const AVCodecParameters* par = first->fmt->streams[first->video]->codecpar;

    const fs::path part = detail::partPathFor(options.output);
    std::error_code ec;
    if (fs::is_directory(part, ec)) {
        return makeError(
            ErrorCode::IoError,
            part.string() + " is a folder; the output needs that name for its .part file");
    }
    detail::removePart(part);
    AVFormatContext* raw = nullptr;
    if (int err =
            avformat_alloc_output_context2(&raw, nullptr, muxer.value().c_str(), part.c_str());
        err < 0) {
        return makeError(ErrorCode::Internal, "cannot create the muxer: " + avErrorString(err));
    }
    AvOutputFormatPtr out(raw);
    // On any failure below the partial file goes; nothing appears under the final name.
    struct PartGuard {
        fs::path path;
        AvOutputFormatPtr* out;
        bool keep = false;
        ~PartGuard() {
            if (!keep) {
                out->reset();
                detail::removePart(path);
            }
        }
    } guard{part, &out};

    AVStream* vs = avformat_new_stream(raw, nullptr);
    if (!vs)
        return makeError(ErrorCode::OutOfMemory, "cannot add the video stream");
    avcodec_parameters_copy(vs->codecpar, par);
    vs->codecpar->codec_tag = 0;
    tagColours(vs->codecpar, source);
    vs->time_base = first->fmt->streams[first->video]->time_base;
    vs->avg_frame_rate = first->fmt->streams[first->video]->avg_frame_rate;
    vs->sample_aspect_ratio = par->sample_aspect_ratio;
    if (source.rotationDegrees != 0) {
        auto* m = reinterpret_cast<int32_t*>(
            av_stream_new_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
        if (m)
            av_display_rotation_set(m, source.rotationDegrees);
    }
    detail::Passthrough passthrough;
    if (!options.passthroughFrom.empty()) {
        const detail::OutputShift shift =
            detail::outputShift(detail::toUs(source.startPts, source.timeBase), options);
        if (Status s = passthrough.open(options.passthroughFrom, raw, source.videoStreamIndex,
                                        shift.trimStartUs, options.trimEndUs, shift.shiftUs,
                                        options.onWarning);
            !s) {
            return s;
        }
    }
    for (const auto& [k, v] : options.metadata)
        av_dict_set(&raw->metadata, k.c_str(), v.c_str(), 0);
    AVDictionary* mo = nullptr;
    if (muxer.value() == "mp4" || muxer.value() == "mov")
        av_dict_set(&mo, "movflags", "+use_metadata_tags", 0);
    if (int err = avio_open(&raw->pb, part.c_str(), AVIO_FLAG_WRITE); err < 0) {
        av_dict_free(&mo);
        return detail::writeError(err, part, "creating");
    }
    int err = avformat_write_header(raw, &mo);
    av_dict_free(&mo);
    if (err < 0)
        return detail::writeError(raw->pb->error < 0 ? raw->pb->error : err, part,
                                  "writing the header of");

    AvPacketPtr pkt = makePacket();
    int64_t lastDts = AV_NOPTS_VALUE;  // in the output time base
    int64_t joined = 0;
    for (size_t i = 0; i < segments.size(); ++i) {
        Result<Segment> seg = i == 0 ? std::move(first) : openSegment(segments[i]);
        if (!seg)
            return seg.error();
        const AVStream* st = seg->fmt->streams[seg->video];
        // Exact: a QuickTime/NUT timescale is a multiple of the source time base's denominator.
        const int64_t offset =
            i < control.ptsOffsets.size()
                ? av_rescale_q(control.ptsOffsets[i], source.timeBase, st->time_base)
                : 0;
        if (!sameStream(st->codecpar, vs->codecpar)) {  // par died with the first segment
            return makeError(ErrorCode::InvalidInput,
                             "segment " + segments[i].string() +
                                 " was encoded with other settings than the first");
        }
        while ((err = av_read_frame(seg->fmt.get(), pkt.get())) >= 0) {
            if (pkt->stream_index != seg->video) {
                av_packet_unref(pkt.get());
                continue;
            }
            if (control.stop.stop_requested()) {
                av_packet_unref(pkt.get());
                return makeError(ErrorCode::Cancelled, "joining the segments was stopped");
            }
            if (pkt->pts != AV_NOPTS_VALUE)
                pkt->pts += offset;
            if (pkt->dts != AV_NOPTS_VALUE)
                pkt->dts += offset;
            const int64_t dtsUs =
                detail::toUs(pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts, st->time_base);
            if (Status s = passthrough.writeUntil(dtsUs); !s)
                return s;
            av_packet_rescale_ts(pkt.get(), st->time_base, vs->time_base);
            // Segments carry the output pts, which stay; each segment's encoder starts its dts
            // `delay` frames before its first pts. With a constant delay the seams are already
            // monotonic; where a segment starts with longer frames than the last one ended with
            // (VFR), the few dts that would not increase are moved up by one tick.
            if (pkt->dts == AV_NOPTS_VALUE)
                pkt->dts = lastDts == AV_NOPTS_VALUE ? pkt->pts : lastDts + 1;
            if (lastDts != AV_NOPTS_VALUE && pkt->dts <= lastDts)
                pkt->dts = lastDts + 1;
            if (pkt->pts != AV_NOPTS_VALUE && pkt->pts < pkt->dts) {
                av_packet_unref(pkt.get());
                return makeError(ErrorCode::InvalidInput,
                                 "segment " + segments[i].string() +
                                     " overlaps the one before it in time (pts " +
                                     std::to_string(pkt->pts) + " < dts " +
                                     std::to_string(pkt->dts) + ")");
            }
            lastDts = pkt->dts;
            pkt->stream_index = vs->index;
            pkt->pos = -1;
            err = av_interleaved_write_frame(raw, pkt.get());
            av_packet_unref(pkt.get());
            if (err < 0 || raw->pb->error < 0) {
                return detail::writeError(raw->pb->error < 0 ? raw->pb->error : err, part,
                                          "writing");
            }
            ++joined;
            if (control.onProgress)
                control.onProgress(joined);
        }
        if (err != AVERROR_EOF) {
            return makeError(ErrorCode::InvalidInput, "segment " + segments[i].string() +
                                                          " is damaged: " + avErrorString(err));
        }
    }
    if (Status s = passthrough.finish(); !s)
        return s;
    err = av_write_trailer(raw);
    if (err < 0 || raw->pb->error < 0)
        return detail::writeError(raw->pb->error < 0 ? raw->pb->error : err, part, "finishing");
    err = avio_closep(&raw->pb);
    if (err < 0)
        return detail::writeError(err, part, "closing");
    out.reset();
    if (Status c = detail::commitPart(part, options.output, options.encode.overwrite); !c)
        return c;
    guard.keep = true;
    return {};
}

}  // namespace fvs::core
