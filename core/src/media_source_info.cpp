// StreamInfo extraction for MediaSource (split from media_source.cpp to keep files small).
#include <algorithm>
#include <cmath>

#include "media_detail.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace fvs::core::detail {

const char* kindOf(AVMediaType type) {
    switch (type) {
        case AVMEDIA_TYPE_AUDIO:
            return "audio";
        case AVMEDIA_TYPE_SUBTITLE:
            return "subtitle";
        case AVMEDIA_TYPE_ATTACHMENT:
            return "attachment";
        case AVMEDIA_TYPE_VIDEO:
            return "video";
        default:
            return "data";
    }
}

int rotationOf(const AVStream* stream) {
    size_t size = 0;
    const uint8_t* data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!data || size < 9 * sizeof(int32_t))
        return 0;
    // av_display_rotation_get is counter-clockwise; we report the clockwise turn a player applies.
    const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(data));
    if (std::isnan(ccw))
        return 0;
    int cw = static_cast<int>(std::lround(-ccw)) % 360;
    if (cw < 0)
        cw += 360;
    return (cw + 45) / 90 * 90 % 360;
}

StreamInfo describeStreams(const AVFormatContext* fmt, int videoIndex, const std::string& path) {
    StreamInfo info;
    const AVStream* st = fmt->streams[videoIndex];
    const AVCodecParameters* par = st->codecpar;
    info.path = path;
    info.container = fmt->iformat ? fmt->iformat->name : "";
    info.videoStreamIndex = videoIndex;
    const AVCodecDescriptor* cd = avcodec_descriptor_get(par->codec_id);
    info.codec = cd ? cd->name : "unknown";
    info.width = par->width;
    info.height = par->height;
    AVRational sar =
        st->sample_aspect_ratio.num > 0 ? st->sample_aspect_ratio : par->sample_aspect_ratio;
    info.sar = sar.num > 0 && sar.den > 0 ? sar : AVRational{1, 1};
    info.avgFrameRate = st->avg_frame_rate;
    info.realFrameRate = st->r_frame_rate;
    info.timeBase = st->time_base;
    info.startPts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        info.durationUs = toUs(st->duration, st->time_base);
    } else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
        info.durationUs = fmt->duration;  // AV_TIME_BASE is microseconds
    }
    if (st->nb_frames > 0) {
        info.frameCount = st->nb_frames;
        info.frameCountExact = true;
    } else if (info.durationUs > 0 && info.fps() > 0) {
        info.frameCount = std::llround(static_cast<double>(info.durationUs) * info.fps() / 1e6);
    }
    // Heuristic until a packet scan says better: average rate differs from the base rate.
    info.variableFrameRate = st->avg_frame_rate.num > 0 && st->r_frame_rate.num > 0 &&
                             av_cmp_q(st->avg_frame_rate, st->r_frame_rate) != 0;
    info.pixelFormat = static_cast<AVPixelFormat>(par->format);
    const char* pixName = av_get_pix_fmt_name(info.pixelFormat);
    info.pixelFormatName = pixName ? pixName : "unknown";
    const AVPixFmtDescriptor* pd = av_pix_fmt_desc_get(info.pixelFormat);
    info.bitDepth =
        pd ? pd->comp[0].depth : (par->bits_per_raw_sample > 0 ? par->bits_per_raw_sample : 8);
    info.colorPrimaries = par->color_primaries;
    info.colorTransfer = par->color_trc;
    info.colorSpace = par->color_space;
    info.colorRange = par->color_range;
    info.rotationDegrees = rotationOf(st);
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVStream* s = fmt->streams[i];
        if (static_cast<int>(i) == videoIndex)
            continue;
        const AVMediaType type = s->codecpar->codec_type;
        if (type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            continue;
        AuxStreamInfo aux;
        aux.index = static_cast<int>(i);
        aux.kind = (s->disposition & AV_DISPOSITION_ATTACHED_PIC) ? "attachment" : kindOf(type);
        const AVCodecDescriptor* acd = avcodec_descriptor_get(s->codecpar->codec_id);
        aux.codec = acd ? acd->name : "unknown";
        if (const AVDictionaryEntry* lang = av_dict_get(s->metadata, "language", nullptr, 0)) {
            aux.language = lang->value;
        }
        if (type == AVMEDIA_TYPE_AUDIO) {
            aux.channels = s->codecpar->ch_layout.nb_channels;
            aux.sampleRate = s->codecpar->sample_rate;
        }
        info.auxStreams.push_back(aux);
    }
    info.chapterCount = static_cast<int>(fmt->nb_chapters);
    const AVFieldOrder order = st->codecpar->field_order;
    info.interlaced = order == AV_FIELD_TT || order == AV_FIELD_BB || order == AV_FIELD_TB ||
                      order == AV_FIELD_BT;
    return info;
}

bool scanVideoPts(AVFormatContext* fmt, int videoIndex, std::vector<int64_t>& ptsOut) {
    ptsOut.clear();
    AvPacketPtr pkt = makePacket();
    bool allStamped = true;
    while (av_read_frame(fmt, pkt.get()) >= 0) {
        // Packets flagged discard (edit-list pre-roll) never become output frames.
        if (pkt->stream_index == videoIndex && !(pkt->flags & AV_PKT_FLAG_DISCARD)) {
            const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (ts == AV_NOPTS_VALUE)
                allStamped = false;
            ptsOut.push_back(ts);
        }
        av_packet_unref(pkt.get());
    }
    std::sort(ptsOut.begin(), ptsOut.end());
    return allStamped;
}

}  // namespace fvs::core::detail
