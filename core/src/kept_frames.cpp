#include "kept_frames.h"

#include <cstdio>
#include <cstring>
#include <system_error>

#include "fvs/core/file_identity.h"
#include "media_sink_detail.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace fvs::core::detail {

namespace fs = std::filesystem;

namespace {

// FFV1's lossless twin of an engine format: B, G, R, X bytes for RGB24 (FFV1 has no 8-bit
// planar RGB), planar G, B, R for RGB48.
AVPixelFormat ffv1FormatFor(AVPixelFormat packed) {
    if (packed == AV_PIX_FMT_RGB24)
        return AV_PIX_FMT_BGR0;
    if (packed == AV_PIX_FMT_RGB48)
        return AV_PIX_FMT_GBRP16;
    return AV_PIX_FMT_NONE;
}

void rgb24ToBgr0(const AVFrame& in, AVFrame& out) {
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* src = in.data[0] + std::ptrdiff_t(y) * in.linesize[0];
        uint8_t* dst = out.data[0] + std::ptrdiff_t(y) * out.linesize[0];
        for (int x = 0; x < in.width; ++x) {
            dst[4 * x] = src[3 * x + 2];
            dst[4 * x + 1] = src[3 * x + 1];
            dst[4 * x + 2] = src[3 * x];
            dst[4 * x + 3] = 0;
        }
    }
}

void bgr0ToRgb24(const AVFrame& in, AVFrame& out) {
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* src = in.data[0] + std::ptrdiff_t(y) * in.linesize[0];
        uint8_t* dst = out.data[0] + std::ptrdiff_t(y) * out.linesize[0];
        for (int x = 0; x < in.width; ++x) {
            dst[3 * x] = src[4 * x + 2];
            dst[3 * x + 1] = src[4 * x + 1];
            dst[3 * x + 2] = src[4 * x];
        }
    }
}

// Packed RGB48 <-> planar G, B, R, sample for sample.
template <class T>
void toPlanar(const AVFrame& in, AVFrame& out) {
    for (int y = 0; y < in.height; ++y) {
        const T* src = reinterpret_cast<const T*>(in.data[0] + std::ptrdiff_t(y) * in.linesize[0]);
        T* g = reinterpret_cast<T*>(out.data[0] + std::ptrdiff_t(y) * out.linesize[0]);
        T* b = reinterpret_cast<T*>(out.data[1] + std::ptrdiff_t(y) * out.linesize[1]);
        T* r = reinterpret_cast<T*>(out.data[2] + std::ptrdiff_t(y) * out.linesize[2]);
        for (int x = 0; x < in.width; ++x) {
            r[x] = src[3 * x];
            g[x] = src[3 * x + 1];
            b[x] = src[3 * x + 2];
        }
    }
}

template <class T>
void toPacked(const AVFrame& in, AVFrame& out) {
    for (int y = 0; y < in.height; ++y) {
        const T* g = reinterpret_cast<const T*>(in.data[0] + std::ptrdiff_t(y) * in.linesize[0]);
        const T* b = reinterpret_cast<const T*>(in.data[1] + std::ptrdiff_t(y) * in.linesize[1]);
        const T* r = reinterpret_cast<const T*>(in.data[2] + std::ptrdiff_t(y) * in.linesize[2]);
        T* dst = reinterpret_cast<T*>(out.data[0] + std::ptrdiff_t(y) * out.linesize[0]);
        for (int x = 0; x < in.width; ++x) {
            dst[3 * x] = r[x];
            dst[3 * x + 1] = g[x];
            dst[3 * x + 2] = b[x];
        }
    }
}

AvFramePtr allocFrame(AVPixelFormat format, int width, int height) {
    AvFramePtr f = makeFrame();
    if (!f)
        return f;
    f->format = format;
    f->width = width;
    f->height = height;
    if (av_frame_get_buffer(f.get(), 0) < 0)
        f.reset();
    return f;
}

int64_t durationOf(const AVFrame& f) {
#if LIBAVUTIL_VERSION_MAJOR < 58
    return f.pkt_duration;
#else
    return f.duration;
#endif
}

void setDuration(AVFrame& f, int64_t d) {
#if LIBAVUTIL_VERSION_MAJOR < 58
    f.pkt_duration = d;
#else
    f.duration = d;
#endif
}

Error bad(const fs::path& file, const std::string& why) {
    return makeError(ErrorCode::InvalidInput,
                     "the kept frames " + file.filename().string() + " " + why);
}

}  // namespace

bool canKeepFrames(AVPixelFormat format) {
    const AVPixelFormat f = ffv1FormatFor(format);
    const AVCodec* enc = avcodec_find_encoder(AV_CODEC_ID_FFV1);
    if (f == AV_PIX_FMT_NONE || !enc || !avcodec_find_decoder(AV_CODEC_ID_FFV1))
        return false;
    for (const AVPixelFormat* p = enc->pix_fmts; p && *p != AV_PIX_FMT_NONE; ++p)
        if (*p == f)
            return true;
    return false;
}

std::string keptFramesFileName(int64_t segmentNumber) {
    char name[32];
    std::snprintf(name, sizeof name, "spill_%06lld.nut", static_cast<long long>(segmentNumber));
    return name;
}

Result<std::unique_ptr<KeptFramesWriter>> KeptFramesWriter::open(const fs::path& file, int width,
                                                                 int height, AVPixelFormat format,
                                                                 AVRational timeBase) {
    const AVPixelFormat planar = ffv1FormatFor(format);
    const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_FFV1);
    if (!canKeepFrames(format))
        return makeError(ErrorCode::Unsupported, "frames of this format cannot be kept");
    std::unique_ptr<KeptFramesWriter> w(new KeptFramesWriter());
    w->m_file = file;
    w->m_part = fs::path(file.string() + ".part");
    w->m_format = format;
    w->m_pkt = makePacket();
    w->m_planar = allocFrame(planar, width, height);
    if (!w->m_planar || !w->m_pkt)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a frame to keep");

    w->m_enc.reset(avcodec_alloc_context3(codec));
    if (!w->m_enc)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate an encoder");
    AVCodecContext* enc = w->m_enc.get();
    enc->width = width;
    enc->height = height;
    enc->pix_fmt = planar;
    enc->time_base = timeBase;
    enc->thread_count = 0;  // slice threads: the copy must not slow the export down much
    AVDictionary* o = nullptr;
    av_dict_set(&o, "level", "3", 0);
    av_dict_set(&o, "slices", "16", 0);
    av_dict_set(&o, "slicecrc", "1", 0);
    if (planar == AV_PIX_FMT_GBRP16)
        av_dict_set(&o, "coder", "range_def", 0);  // Golomb-Rice codes 8 bits only
    const AVOutputFormat* nut = av_guess_format("nut", nullptr, nullptr);
    AVFormatContext* raw = nullptr;
    if (!nut || avformat_alloc_output_context2(&raw, nut, nullptr, w->m_part.c_str()) < 0) {
        av_dict_free(&o);
        return makeError(ErrorCode::Unsupported, "the nut muxer is not available");
    }
    w->m_mux.reset(raw);
    if (nut->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    const int err = avcodec_open2(enc, codec, &o);
    av_dict_free(&o);
    if (err < 0)
        return makeError(ErrorCode::Internal,
                         "cannot open the FFV1 encoder for kept frames: " + avErrorString(err));
    w->m_stream = avformat_new_stream(raw, nullptr);
    if (!w->m_stream)
        return makeError(ErrorCode::OutOfMemory, "cannot add a stream");
    avcodec_parameters_from_context(w->m_stream->codecpar, enc);
    w->m_stream->time_base = timeBase;
    if (int e = avio_open(&raw->pb, w->m_part.c_str(), AVIO_FLAG_WRITE); e < 0)
        return writeError(e, w->m_part, "writing");
    if (int e = avformat_write_header(raw, nullptr); e < 0)
        return writeError(e, w->m_part, "writing");
    return w;
}

KeptFramesWriter::~KeptFramesWriter() {
    if (m_done)
        return;
    m_enc.reset();
    m_mux.reset();
    std::error_code ec;
    fs::remove(m_part, ec);
}

Status KeptFramesWriter::drain(bool flush) {
    if (flush && avcodec_send_frame(m_enc.get(), nullptr) < 0)
        return makeError(ErrorCode::Internal, "the FFV1 encoder cannot be flushed");
    while (true) {
        const int err = avcodec_receive_packet(m_enc.get(), m_pkt.get());
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            return {};
        if (err < 0)
            return makeError(ErrorCode::Internal, "FFV1 encoder: " + avErrorString(err));
        m_pkt->stream_index = m_stream->index;
        av_packet_rescale_ts(m_pkt.get(), m_enc->time_base, m_stream->time_base);
        const int w = av_write_frame(m_mux.get(), m_pkt.get());
        av_packet_unref(m_pkt.get());
        if (w < 0 || m_mux->pb->error < 0)
            return writeError(w < 0 ? w : m_mux->pb->error, m_part, "writing");
    }
}

Status KeptFramesWriter::write(const Frame& frame) {
    if (m_done || !frame.valid() || frame.format() != m_format || frame.width() != m_enc->width ||
        frame.height() != m_enc->height)
        return makeError(ErrorCode::InvalidArgument, "a frame the kept-frames file cannot take");
    if (av_frame_make_writable(m_planar.get()) < 0)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a frame to keep");
    if (m_format == AV_PIX_FMT_RGB24)
        rgb24ToBgr0(*frame.av, *m_planar);
    else
        toPlanar<uint16_t>(*frame.av, *m_planar);
    // Sample aspect ratio and field order reach the encoders per frame (libx264 reconfigures on a
    // new SAR, FFV1 writes both into each slice header): FFV1 stores them, and reading restores
    // them.
    m_planar->sample_aspect_ratio = frame.av->sample_aspect_ratio;
    m_planar->interlaced_frame = frame.av->interlaced_frame;
    m_planar->top_field_first = frame.av->top_field_first;
    m_planar->pts = frame.av->pts;
    if (int err = avcodec_send_frame(m_enc.get(), m_planar.get()); err < 0)
        return makeError(ErrorCode::Internal, "FFV1 encoder: " + avErrorString(err));
    if (Status st = drain(false); !st)
        return st;
    ++m_frames;
    m_lastDuration = durationOf(*frame.av);
    return {};
}

Result<KeptFrames> KeptFramesWriter::finish() {
    if (m_done)
        return makeError(ErrorCode::InvalidArgument, "finish called twice");
    if (Status st = drain(true); !st)
        return st.error();
    if (int err = av_write_trailer(m_mux.get()); err < 0)
        return writeError(err, m_part, "writing");
    avio_flush(m_mux->pb);
    if (int err = avio_closep(&m_mux->pb); err < 0)
        return writeError(err, m_part, "writing");
    m_mux.reset();
    m_enc.reset();
    if (Status st = syncFileAndFolder(m_part); !st)
        return st.error();
    std::error_code ec;
    fs::rename(m_part, m_file, ec);
    if (ec)
        return makeError(ErrorCode::IoError,
                         "cannot rename " + m_part.string() + ": " + ec.message());
    m_done = true;
    if (Status st = syncFolder(m_file.parent_path()); !st)
        return st.error();
    KeptFrames record;
    record.file = m_file.filename().string();
    record.frameCount = m_frames;
    record.lastDuration = m_lastDuration;
    record.sizeBytes = static_cast<int64_t>(fs::file_size(m_file, ec));
    if (ec)
        return makeError(ErrorCode::IoError, "cannot read " + m_file.string());
    auto sum = checksumFile(m_file);
    if (!sum)
        return sum.error();
    record.checksum = sum.value();
    return record;
}

Status readKeptFrames(const fs::path& file, const KeptFrames& record, int width, int height,
                      AVPixelFormat format, AVRational timeBase,
                      const std::function<Status(Frame)>& onFrame) {
    AVFormatContext* raw = nullptr;
    if (int err = avformat_open_input(&raw, file.c_str(), nullptr, nullptr); err < 0)
        return bad(file, "cannot be opened (" + avErrorString(err) + ")");
    AvInputFormatPtr demux(raw);
    if (raw->nb_streams != 1 || raw->streams[0]->codecpar->codec_id != AV_CODEC_ID_FFV1 ||
        raw->streams[0]->codecpar->width != width || raw->streams[0]->codecpar->height != height)
        return bad(file, "do not fit this export (another size)");
    const AVStream* stream = raw->streams[0];
    const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_FFV1);
    AvCodecContextPtr dec(avcodec_alloc_context3(codec));
    if (!dec || avcodec_parameters_to_context(dec.get(), stream->codecpar) < 0)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a decoder");
    dec->thread_count = 0;
    dec->pkt_timebase = stream->time_base;
    if (int err = avcodec_open2(dec.get(), codec, nullptr); err < 0)
        return bad(file, "cannot be decoded (" + avErrorString(err) + ")");
    AvPacketPtr pkt = makePacket();
    AvFramePtr decoded = makeFrame();
    int64_t count = 0;
    auto receive = [&]() -> Status {
        while (true) {
            const int err = avcodec_receive_frame(dec.get(), decoded.get());
            if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
                return {};
            if (err < 0)
                return bad(file, "are damaged (" + avErrorString(err) + ")");
            if (count >= record.frameCount)
                return bad(file, "hold more frames than were recorded");
            if (decoded->format != ffv1FormatFor(format) || decoded->width != width ||
                decoded->height != height)
                return bad(file, "do not fit this export (another size or format)");
            Frame out;
            out.av = allocFrame(format, width, height);
            if (!out.av)
                return makeError(ErrorCode::OutOfMemory, "cannot allocate a kept frame");
            if (format == AV_PIX_FMT_RGB24)
                bgr0ToRgb24(*decoded, *out.av);
            else
                toPacked<uint16_t>(*decoded, *out.av);
            const int64_t pts = decoded->best_effort_timestamp != AV_NOPTS_VALUE
                                    ? decoded->best_effort_timestamp
                                    : decoded->pts;
            out.av->pts = av_rescale_q(pts, stream->time_base, timeBase);
            out.av->sample_aspect_ratio = decoded->sample_aspect_ratio;
            out.av->interlaced_frame = decoded->interlaced_frame;
            out.av->top_field_first = decoded->top_field_first;
            out.av->colorspace = AVCOL_SPC_RGB;  // what the engines' RGB frames carry
            out.av->color_range = AVCOL_RANGE_JPEG;
            ++count;
            if (count == record.frameCount)
                setDuration(*out.av, record.lastDuration);
            av_frame_unref(decoded.get());
            if (Status st = onFrame(std::move(out)); !st)
                return st;
        }
    };
    int err = 0;
    while ((err = av_read_frame(raw, pkt.get())) >= 0) {
        err = avcodec_send_packet(dec.get(), pkt.get());
        av_packet_unref(pkt.get());
        if (err < 0)
            return bad(file, "are damaged (" + avErrorString(err) + ")");
        if (Status st = receive(); !st)
            return st;
    }
    if (err != AVERROR_EOF)
        return bad(file, "are damaged (" + avErrorString(err) + ")");
    avcodec_send_packet(dec.get(), nullptr);
    if (Status st = receive(); !st)
        return st;
    if (count != record.frameCount)
        return bad(file, "hold " + std::to_string(count) + " frames, " +
                             std::to_string(record.frameCount) + " were recorded");
    return {};
}

}  // namespace fvs::core::detail
