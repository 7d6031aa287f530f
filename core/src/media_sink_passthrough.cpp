// Stream-copy of the source's non-video streams, chapters and global metadata into a sink's output.
#include <algorithm>
#include <cstring>

#include "media_detail.h"
#include "media_sink_detail.h"

namespace fvs::core::detail {
namespace fs = std::filesystem;

namespace {
constexpr AVRational kMicros{1, 1000000};

bool isTextSubtitle(AVCodecID id) {
    const AVCodecDescriptor* d = avcodec_descriptor_get(id);
    return d && (d->props & AV_CODEC_PROP_TEXT_SUB);
}

std::string codecName(AVCodecID id) {
    const AVCodecDescriptor* d = avcodec_descriptor_get(id);
    return d ? d->name : "unknown";
}
}  // namespace

OutputShift outputShift(int64_t videoStartUs, const SinkOptions& options) {
    if (options.keepSourceTimestamps)
        return {0, 0};
    return {videoStartUs + options.trimStartUs, options.trimStartUs};
}

struct Passthrough::Impl {
    struct Route {
        AVStream* out = nullptr;
        std::unique_ptr<StreamTranscoder> transcoder;  // null: plain copy
        // Matroska: the muxer stores an Opus stream's pre-skip as CodecDelay, which the demuxer
        // subtracts from every timestamp when reading; it is added here so the audio reads back at
        // the source's times. In the output time base (known once the header is written).
        int64_t codecDelaySamples = 0;
    };
    AvInputFormatPtr in;
    AVFormatContext* out = nullptr;
    std::vector<Route> routes;  // by input stream index; out == nullptr: dropped
    int64_t trimStartUs = 0, trimEndUs = INT64_MAX, shiftUs = 0, videoStartUs = 0;
    AvPacketPtr pkt = makePacket();
    std::vector<int64_t> lastDts;  // per output stream, to drop packets whose dts steps back
    int64_t skipped = 0;           // damaged copied packets left out
    bool havePacket = false;
    bool ended = false;
    WarnFn warn;

    Status write(AVPacket* p, const Route& r);
    Status process(AVPacket* p);
};

Passthrough::Passthrough() : m_impl(std::make_unique<Impl>()) {}
Passthrough::~Passthrough() = default;
bool Passthrough::active() const {
    return m_impl->in != nullptr;
}

Status Passthrough::open(const fs::path& source, AVFormatContext* out, int excludeStream,
                         int64_t trimStartUs, int64_t trimEndUs, int64_t shiftUs,
                         const WarnFn& warn) {
    Impl& d = *m_impl;
    d.warn = warn ? warn : [](const std::string&) {};
    AVFormatContext* raw = nullptr;
    if (int err = avformat_open_input(&raw, source.c_str(), nullptr, nullptr); err < 0) {
        return makeError(ErrorCode::InvalidInput, "cannot open " + source.string() +
                                                      " for stream copy: " + avErrorString(err));
    }
    d.in.reset(raw);
    if (int err = avformat_find_stream_info(raw, nullptr); err < 0) {
        return makeError(ErrorCode::InvalidInput, "cannot read streams of " + source.string());
    }
    d.out = out;
    d.trimStartUs = trimStartUs;
    d.trimEndUs = trimEndUs;
    d.shiftUs = shiftUs;
    d.videoStartUs = shiftUs - trimStartUs;
    d.routes.resize(raw->nb_streams);
    const std::string muxer = out->oformat->name;
    const bool mkv = muxer == "matroska";
    // On the source's own timeline (no shift), a copied stream's negative timestamps (AAC priming
    // from an mp4 edit list, audio before the video) stay negative: Matroska's default shifts the
    // whole file to make them non-negative, which would move the video and chapters.
    if (mkv && shiftUs == 0)
        out->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    for (unsigned i = 0; i < raw->nb_streams; ++i) {
        AVStream* st = raw->streams[i];
        const AVCodecParameters* par = st->codecpar;
        const AVMediaType type = par->codec_type;
        const std::string what = std::string(kindOf(type)) + " stream #" + std::to_string(i) +
                                 " (" + codecName(par->codec_id) + ")";
        if (static_cast<int>(i) == excludeStream)
            continue;
        const bool coverArt =
            type == AVMEDIA_TYPE_VIDEO && (st->disposition & AV_DISPOSITION_ATTACHED_PIC);
        if (type == AVMEDIA_TYPE_VIDEO && !coverArt) {
            d.warn("extra video " + what + " not copied (only the upscaled video is written)");
            continue;
        }
        if ((type == AVMEDIA_TYPE_ATTACHMENT || coverArt) && !mkv) {
            d.warn(what + " dropped: " + muxer + " cannot carry attachments (use .mkv)");
            continue;
        }
        if (type == AVMEDIA_TYPE_DATA && par->codec_id == AV_CODEC_ID_BIN_DATA) {
            continue;  // a QuickTime chapter track: the muxer rebuilds it from the chapters
        }
        if (type == AVMEDIA_TYPE_DATA || type == AVMEDIA_TYPE_UNKNOWN) {
            d.warn(what + " dropped: data streams are not copied");
            continue;
        }
        std::unique_ptr<StreamTranscoder> tx;
        const bool fits =
            type == AVMEDIA_TYPE_ATTACHMENT ||
            avformat_query_codec(out->oformat, par->codec_id, FF_COMPLIANCE_NORMAL) == 1;
        if (!fits) {
            if (type == AVMEDIA_TYPE_AUDIO) {
                auto t = StreamTranscoder::audioToAac(st, out);
                if (!t) {
                    d.warn(what + " dropped: " + t.error().message);
                    continue;
                }
                tx = std::move(t.value());
                d.warn("audio " + what + " re-encoded to AAC: " + muxer + " cannot carry " +
                       codecName(par->codec_id));
            } else if (type == AVMEDIA_TYPE_SUBTITLE && isTextSubtitle(par->codec_id)) {
                const AVCodecID target = mkv ? AV_CODEC_ID_SUBRIP : AV_CODEC_ID_MOV_TEXT;
                auto t = StreamTranscoder::textSubtitle(st, out, target);
                if (!t) {
                    d.warn(what + " dropped: " + t.error().message);
                    continue;
                }
                tx = std::move(t.value());
                d.warn("subtitle " + what + " converted to " + codecName(target) + " for " + muxer);
            } else {
                d.warn(what + " dropped: " + muxer + " cannot carry " + codecName(par->codec_id));
                continue;
            }
        }
        AVStream* os = tx ? tx->stream() : avformat_new_stream(out, nullptr);
        if (!os)
            return makeError(ErrorCode::OutOfMemory, "cannot add an output stream");
        if (!tx) {
            avcodec_parameters_copy(os->codecpar, par);
            os->codecpar->codec_tag = 0;  // let the muxer pick its own tag
            os->time_base = st->time_base;
        }
        av_dict_copy(&os->metadata, st->metadata, 0);
        os->disposition = st->disposition;
        d.routes[i].out = os;
        if (mkv && !tx && par->codec_id == AV_CODEC_ID_OPUS)
            d.routes[i].codecDelaySamples = par->initial_padding;
        d.routes[i].transcoder = std::move(tx);
    }
    // Global metadata first (the sink adds its own keys after); brand keys describe the old file.
    av_dict_copy(&out->metadata, raw->metadata, 0);
    for (const char* k : {"major_brand", "minor_version", "compatible_brands", "encoder"}) {
        av_dict_set(&out->metadata, k, nullptr, 0);
    }
    // Chapters inside the trim window, shifted like the packets.
    for (unsigned c = 0; c < raw->nb_chapters; ++c) {
        const AVChapter* ch = raw->chapters[c];
        const int64_t startUs = av_rescale_q(ch->start, ch->time_base, kMicros) - d.videoStartUs;
        const int64_t endUs = av_rescale_q(ch->end, ch->time_base, kMicros) - d.videoStartUs;
        if (endUs <= trimStartUs || startUs >= trimEndUs)
            continue;
        auto* oc = static_cast<AVChapter*>(av_mallocz(sizeof(AVChapter)));
        if (!oc)
            return makeError(ErrorCode::OutOfMemory, "chapter allocation failed");
        void* grown = av_realloc_array(out->chapters, out->nb_chapters + 1, sizeof(AVChapter*));
        if (!grown) {
            av_free(oc);
            return makeError(ErrorCode::OutOfMemory, "chapter allocation failed");
        }
        out->chapters = static_cast<AVChapter**>(grown);
        out->chapters[out->nb_chapters++] = oc;
        oc->id = ch->id;
        oc->time_base = kMicros;
        oc->start = std::max<int64_t>(startUs, trimStartUs) - trimStartUs;
        oc->end = std::min(endUs, trimEndUs) - trimStartUs;
        av_dict_copy(&oc->metadata, ch->metadata, 0);
    }
    return {};
}

Status Passthrough::Impl::write(AVPacket* p, const Route& r) {
    p->stream_index = r.out->index;
    p->pos = -1;
    if (lastDts.size() < out->nb_streams)
        lastDts.resize(out->nb_streams, AV_NOPTS_VALUE);
    int64_t& last = lastDts[r.out->index];
    const std::string what = std::string(kindOf(r.out->codecpar->codec_type)) + " packet";
    const int64_t ts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    const std::string at =
        ts == AV_NOPTS_VALUE
            ? std::string("an unknown time")
            : std::to_string(av_rescale_q(ts, r.out->time_base, AVRational{1, 1000})) + " ms";
    auto skip = [&](const std::string& why) -> Status {
        // A damaged copied packet is left out with a warning, like a damaged video packet.
        if (++skipped <= 10)
            warn("skipped a damaged " + what + " at " + at + ": " + why);
        av_packet_unref(p);
        return {};
    };
    if (p->size <= 0 && !p->side_data_elems)
        return skip("it is empty");
    if (p->dts != AV_NOPTS_VALUE && p->pts != AV_NOPTS_VALUE && p->pts < p->dts)
        return skip("its presentation time is before its decoding time");
    if (p->dts != AV_NOPTS_VALUE && last != AV_NOPTS_VALUE && p->dts <= last &&
        r.out->codecpar->codec_type != AVMEDIA_TYPE_SUBTITLE)
        return skip("its timestamp steps back");
    const int64_t dts = p->dts;
    const int err = av_interleaved_write_frame(out, p);
    if (err < 0) {
        if (out->pb && out->pb->error < 0)
            return writeError(out->pb->error, out->url, "writing");
        if (err == AVERROR(ENOSPC) || err == AVERROR(EIO))
            return writeError(err, out->url, "writing a copied packet to");
        return skip(avErrorString(err));
    }
    if (dts != AV_NOPTS_VALUE)
        last = dts;
    return {};
}

Status Passthrough::Impl::process(AVPacket* p) {
    Route& r = routes[p->stream_index];
    const AVStream* st = in->streams[p->stream_index];
    const int64_t ts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    const int64_t relUs = av_rescale_q(ts, st->time_base, kMicros) - videoStartUs;
    const int64_t durUs = av_rescale_q(p->duration, st->time_base, kMicros);
    // Without a trim start, everything before the video is kept (encoder priming, early subtitles).
    if (relUs >= trimEndUs || (trimStartUs > 0 && relUs < trimStartUs))
        return {};
    if (trimEndUs == INT64_MAX && trimStartUs == 0 && relUs + durUs < -10'000'000)
        return {};
    const int64_t shift = av_rescale_q(shiftUs, kMicros, st->time_base);
    if (p->pts != AV_NOPTS_VALUE)
        p->pts -= shift;
    if (p->dts != AV_NOPTS_VALUE)
        p->dts -= shift;
    if (r.transcoder) {
        return r.transcoder->push(p, st->time_base, [&](AVPacket* o) { return write(o, r); });
    }
    av_packet_rescale_ts(p, st->time_base, r.out->time_base);
    if (r.codecDelaySamples > 0) {
        // What the muxer writes (ns, at Opus's 48 kHz) and the demuxer subtracts (rounded).
        const int64_t delayNs =
            av_rescale_q(r.codecDelaySamples, AVRational{1, 48000}, AVRational{1, 1000000000});
        const int64_t delay = av_rescale_q(delayNs, AVRational{1, 1000000000}, r.out->time_base);
        if (p->pts != AV_NOPTS_VALUE)
            p->pts += delay;
        if (p->dts != AV_NOPTS_VALUE)
            p->dts += delay;
    }
    return write(p, r);
}

Status Passthrough::writeUntil(int64_t untilUs) {
    Impl& d = *m_impl;
    if (!d.in)
        return {};
    while (!d.ended) {
        if (!d.havePacket) {
            const int err = av_read_frame(d.in.get(), d.pkt.get());
            if (err < 0) {
                if (err != AVERROR_EOF)
                    d.warn("stream copy stopped early: " + avErrorString(err));
                d.ended = true;
                break;
            }
            if (d.pkt->stream_index >= static_cast<int>(d.routes.size()) ||
                !d.routes[d.pkt->stream_index].out) {
                av_packet_unref(d.pkt.get());
                continue;
            }
            d.havePacket = true;
        }
        const AVStream* st = d.in->streams[d.pkt->stream_index];
        const int64_t ts = d.pkt->dts != AV_NOPTS_VALUE ? d.pkt->dts : d.pkt->pts;
        const int64_t outUs =
            ts == AV_NOPTS_VALUE ? INT64_MIN : av_rescale_q(ts, st->time_base, kMicros) - d.shiftUs;
        if (outUs >= untilUs)
            break;
        d.havePacket = false;
        Status s = d.process(d.pkt.get());
        av_packet_unref(d.pkt.get());
        if (!s)
            return s;
    }
    return {};
}

Status Passthrough::finish() {
    Impl& d = *m_impl;
    if (!d.in)
        return {};
    if (Status s = writeUntil(INT64_MAX); !s)
        return s;
    for (auto& r : d.routes) {
        if (!r.transcoder)
            continue;
        if (Status s = r.transcoder->flush([&](AVPacket* o) { return d.write(o, r); }); !s)
            return s;
    }
    return {};
}

}  // namespace fvs::core::detail
