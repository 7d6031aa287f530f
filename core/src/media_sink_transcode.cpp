// Audio -> AAC and text-subtitle conversion for streams a container cannot carry as they are.
#include <algorithm>
#include <cstring>
#include <vector>

#include "media_sink_detail.h"

extern "C" {
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
}

namespace fvs::core::detail {
namespace {
struct SwrDeleter {
    void operator()(SwrContext* s) const { swr_free(&s); }
};
struct FifoDeleter {
    void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};
struct SubtitleGuard {
    AVSubtitle sub{};
    ~SubtitleGuard() { avsubtitle_free(&sub); }
};
}  // namespace

struct StreamTranscoder::Impl {
    AVFormatContext* out = nullptr;
    AVStream* stream = nullptr;
    AvCodecContextPtr dec;
    AvCodecContextPtr enc;
    bool audio = true;
    std::unique_ptr<SwrContext, SwrDeleter> swr;
    std::unique_ptr<AVAudioFifo, FifoDeleter> fifo;
    int64_t nextPts = AV_NOPTS_VALUE;  // in 1/sample_rate
    AvFramePtr frame = makeFrame();
    AvPacketPtr pkt = makePacket();

    Status drainEncoder(const PacketWriter& write);
    Status encodeFifo(bool all, const PacketWriter& write);
    Status drainDecoder(AVRational inTb, const PacketWriter& write);
};

StreamTranscoder::StreamTranscoder() : m_impl(std::make_unique<Impl>()) {}
StreamTranscoder::~StreamTranscoder() = default;
AVStream* StreamTranscoder::stream() const {
    return m_impl->stream;
}

namespace {
Status openDecoder(const AVStream* in, AvCodecContextPtr& dec) {
    const AVCodec* codec = avcodec_find_decoder(in->codecpar->codec_id);
    if (!codec)
        return makeError(ErrorCode::Unsupported, "no decoder");
    dec.reset(avcodec_alloc_context3(codec));
    if (!dec)
        return makeError(ErrorCode::OutOfMemory, "decoder allocation failed");
    avcodec_parameters_to_context(dec.get(), in->codecpar);
    dec->pkt_timebase = in->time_base;
    if (int err = avcodec_open2(dec.get(), codec, nullptr); err < 0) {
        return makeError(ErrorCode::Unsupported, "cannot open decoder: " + avErrorString(err));
    }
    return {};
}
}  // namespace

Result<std::unique_ptr<StreamTranscoder>> StreamTranscoder::audioToAac(const AVStream* in,
                                                                       AVFormatContext* out) {
    std::unique_ptr<StreamTranscoder> t(new StreamTranscoder());
    Impl& d = *t->m_impl;
    d.out = out;
    if (Status s = openDecoder(in, d.dec); !s)
        return s.error();
    const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!aac)
        return makeError(ErrorCode::Unsupported, "no AAC encoder");
    d.enc.reset(avcodec_alloc_context3(aac));
    if (!d.enc)
        return makeError(ErrorCode::OutOfMemory, "encoder allocation failed");
    d.enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    d.enc->sample_rate = d.dec->sample_rate > 0 ? d.dec->sample_rate : 48000;
    if (d.dec->ch_layout.nb_channels > 0) {
        av_channel_layout_copy(&d.enc->ch_layout, &d.dec->ch_layout);
        if (d.enc->ch_layout.order != AV_CHANNEL_ORDER_NATIVE) {
            const int n = d.enc->ch_layout.nb_channels;
            av_channel_layout_uninit(&d.enc->ch_layout);
            av_channel_layout_default(&d.enc->ch_layout, n);
        }
    } else {
        av_channel_layout_default(&d.enc->ch_layout, 2);
    }
    d.enc->bit_rate = 96000LL * d.enc->ch_layout.nb_channels;
    d.enc->time_base = AVRational{1, d.enc->sample_rate};
    if (out->oformat->flags & AVFMT_GLOBALHEADER)
        d.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (int err = avcodec_open2(d.enc.get(), aac, nullptr); err < 0) {
        return makeError(ErrorCode::Unsupported,
                         "cannot open the AAC encoder: " + avErrorString(err));
    }
    d.stream = avformat_new_stream(out, nullptr);
    if (!d.stream)
        return makeError(ErrorCode::OutOfMemory, "cannot add a stream");
    avcodec_parameters_from_context(d.stream->codecpar, d.enc.get());
    d.stream->time_base = d.enc->time_base;
    d.fifo.reset(av_audio_fifo_alloc(d.enc->sample_fmt, d.enc->ch_layout.nb_channels,
                                     d.enc->frame_size * 4));
    if (!d.fifo)
        return makeError(ErrorCode::OutOfMemory, "audio buffer allocation failed");
    return t;
}

Result<std::unique_ptr<StreamTranscoder>> StreamTranscoder::textSubtitle(const AVStream* in,
                                                                         AVFormatContext* out,
                                                                         AVCodecID target) {
    std::unique_ptr<StreamTranscoder> t(new StreamTranscoder());
    Impl& d = *t->m_impl;
    d.out = out;
    d.audio = false;
    if (Status s = openDecoder(in, d.dec); !s)
        return s.error();
    const AVCodec* codec = avcodec_find_encoder(target);
    if (!codec)
        return makeError(ErrorCode::Unsupported, "no subtitle encoder");
    d.enc.reset(avcodec_alloc_context3(codec));
    if (!d.enc)
        return makeError(ErrorCode::OutOfMemory, "encoder allocation failed");
    d.enc->time_base = AVRational{1, 1000};
    if (d.dec->subtitle_header) {
        // Text encoders read the ASS style header the decoder produced.
        d.enc->subtitle_header = static_cast<uint8_t*>(av_mallocz(d.dec->subtitle_header_size + 1));
        if (!d.enc->subtitle_header)
            return makeError(ErrorCode::OutOfMemory, "allocation failed");
        memcpy(d.enc->subtitle_header, d.dec->subtitle_header, d.dec->subtitle_header_size);
        d.enc->subtitle_header_size = d.dec->subtitle_header_size;
    }
    if (int err = avcodec_open2(d.enc.get(), codec, nullptr); err < 0) {
        return makeError(ErrorCode::Unsupported,
                         "cannot open the subtitle encoder: " + avErrorString(err));
    }
    d.stream = avformat_new_stream(out, nullptr);
    if (!d.stream)
        return makeError(ErrorCode::OutOfMemory, "cannot add a stream");
    avcodec_parameters_from_context(d.stream->codecpar, d.enc.get());
    d.stream->time_base = d.enc->time_base;
    return t;
}

Status StreamTranscoder::Impl::drainEncoder(const PacketWriter& write) {
    while (true) {
        const int err = avcodec_receive_packet(enc.get(), pkt.get());
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            return {};
        if (err < 0)
            return makeError(ErrorCode::Internal, "AAC encoder: " + avErrorString(err));
        av_packet_rescale_ts(pkt.get(), enc->time_base, stream->time_base);
        Status s = write(pkt.get());
        av_packet_unref(pkt.get());
        if (!s)
            return s;
    }
}

Status StreamTranscoder::Impl::encodeFifo(bool all, const PacketWriter& write) {
    const int frameSize = enc->frame_size > 0 ? enc->frame_size : 1024;
    while (av_audio_fifo_size(fifo.get()) >= frameSize ||
           (all && av_audio_fifo_size(fifo.get()) > 0)) {
        const int n = std::min(frameSize, av_audio_fifo_size(fifo.get()));
        AvFramePtr f = makeFrame();
        f->nb_samples = n;
        f->format = enc->sample_fmt;
        f->sample_rate = enc->sample_rate;
        av_channel_layout_copy(&f->ch_layout, &enc->ch_layout);
        if (int err = av_frame_get_buffer(f.get(), 0); err < 0) {
            return makeError(ErrorCode::OutOfMemory, "audio frame: " + avErrorString(err));
        }
        av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(f->data), n);
        f->pts = nextPts;
        nextPts += n;
        if (int err = avcodec_send_frame(enc.get(), f.get()); err < 0) {
            return makeError(ErrorCode::Internal, "AAC encoder: " + avErrorString(err));
        }
        if (Status s = drainEncoder(write); !s)
            return s;
    }
    return {};
}

Status StreamTranscoder::Impl::drainDecoder(AVRational inTb, const PacketWriter& write) {
    while (true) {
        const int err = avcodec_receive_frame(dec.get(), frame.get());
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            return {};
        if (err < 0)
            return {};  // a damaged audio packet: skip it, keep going
        if (!swr) {
            SwrContext* raw = nullptr;
            if (swr_alloc_set_opts2(&raw, &enc->ch_layout, enc->sample_fmt, enc->sample_rate,
                                    &frame->ch_layout, static_cast<AVSampleFormat>(frame->format),
                                    frame->sample_rate, 0, nullptr) < 0 ||
                swr_init(raw) < 0) {
                swr_free(&raw);
                return makeError(ErrorCode::Unsupported, "cannot convert this audio for AAC");
            }
            swr.reset(raw);
        }
        if (nextPts == AV_NOPTS_VALUE) {
            const int64_t ts =
                frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : 0;
            nextPts = av_rescale_q(ts, inTb, enc->time_base);
        }
        AvFramePtr conv = makeFrame();
        conv->format = enc->sample_fmt;
        conv->sample_rate = enc->sample_rate;
        av_channel_layout_copy(&conv->ch_layout, &enc->ch_layout);
        // Plain buffers, not swr_convert_frame: that one rejects frames whose layout is
        // "unspecified" once swr_init has filled in the default layout.
        const int room = swr_get_out_samples(swr.get(), frame->nb_samples);
        conv->nb_samples = std::max(room, 1);
        if (int err = av_frame_get_buffer(conv.get(), 0); err < 0) {
            av_frame_unref(frame.get());
            return makeError(ErrorCode::OutOfMemory, "audio frame: " + avErrorString(err));
        }
        const int e =
            swr_convert(swr.get(), conv->data, conv->nb_samples,
                        const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
        av_frame_unref(frame.get());
        if (e < 0)
            return makeError(ErrorCode::Internal, "audio conversion: " + avErrorString(e));
        conv->nb_samples = e;
        if (conv->nb_samples > 0) {
            av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(conv->data), conv->nb_samples);
        }
        if (Status s = encodeFifo(false, write); !s)
            return s;
    }
}

Status StreamTranscoder::push(AVPacket* packet, AVRational inTimeBase, const PacketWriter& write) {
    Impl& d = *m_impl;
    if (d.audio) {
        avcodec_send_packet(d.dec.get(),
                            packet);  // a bad packet is skipped, like the video decoder
        return d.drainDecoder(inTimeBase, write);
    }
    SubtitleGuard g;
    int got = 0;
    if (avcodec_decode_subtitle2(d.dec.get(), &g.sub, &got, packet) < 0 || !got)
        return {};
    // Encoders want the start folded into pts (same as the ffmpeg tool does).
    int64_t ptsUs = g.sub.pts != AV_NOPTS_VALUE
                        ? g.sub.pts
                        : av_rescale_q(packet->pts, inTimeBase, AV_TIME_BASE_Q);
    ptsUs += av_rescale_q(g.sub.start_display_time, AVRational{1, 1000}, AV_TIME_BASE_Q);
    const uint32_t durMs = g.sub.end_display_time - g.sub.start_display_time;
    g.sub.end_display_time = durMs;
    g.sub.start_display_time = 0;
    std::vector<uint8_t> buf(1 << 16);
    const int size =
        avcodec_encode_subtitle(d.enc.get(), buf.data(), static_cast<int>(buf.size()), &g.sub);
    if (size <= 0)
        return {};
    AvPacketPtr p = makePacket();
    if (av_new_packet(p.get(), size) < 0)
        return makeError(ErrorCode::OutOfMemory, "subtitle packet");
    memcpy(p->data, buf.data(), size);
    p->pts = p->dts = av_rescale_q(ptsUs, AV_TIME_BASE_Q, d.stream->time_base);
    p->duration = av_rescale_q(durMs, AVRational{1, 1000}, d.stream->time_base);
    p->flags |= AV_PKT_FLAG_KEY;
    return write(p.get());
}

Status StreamTranscoder::flush(const PacketWriter& write) {
    Impl& d = *m_impl;
    if (!d.audio)
        return {};
    avcodec_send_packet(d.dec.get(), nullptr);
    if (Status s = d.drainDecoder(d.dec->pkt_timebase, write); !s)
        return s;
    if (Status s = d.encodeFifo(true, write); !s)
        return s;
    avcodec_send_frame(d.enc.get(), nullptr);
    return d.drainEncoder(write);
}

}  // namespace fvs::core::detail
