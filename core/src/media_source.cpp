#include "fvs/core/media_source.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <system_error>

#include "deinterlacer.h"
#include "media_detail.h"

namespace fvs::core {

using detail::fromUs;
using detail::toUs;

namespace {

// FFmpeg's own reason for a failure ("Picture size 100000x100000 is invalid") is only logged; its
// return code says little ("Device or resource busy"). While a capture is active on a thread, the
// last error line FFmpeg logs there is kept for our message. Logging itself is unchanged.
thread_local std::string* t_ffmpegError = nullptr;

void captureLog(void* avcl, int level, const char* fmt, va_list args) {
    if (t_ffmpegError && level <= AV_LOG_ERROR && fmt) {
        va_list copy;
        va_copy(copy, args);
        char line[512];
        std::vsnprintf(line, sizeof line, fmt, copy);
        va_end(copy);
        std::string text(line);
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '.'))
            text.pop_back();
        if (!text.empty())
            *t_ffmpegError = text;
    }
    av_log_default_callback(avcl, level, fmt, args);
}

class FfmpegErrorCapture {
public:
    FfmpegErrorCapture() {
        static std::once_flag once;
        std::call_once(once, [] { av_log_set_callback(captureLog); });
        m_previous = t_ffmpegError;
        t_ffmpegError = &m_text;
    }
    ~FfmpegErrorCapture() { t_ffmpegError = m_previous; }
    FfmpegErrorCapture(const FfmpegErrorCapture&) = delete;
    FfmpegErrorCapture& operator=(const FfmpegErrorCapture&) = delete;
    // FFmpeg's logged reason if there was one, else the text of its error code.
    std::string reason(int averror) const {
        return m_text.empty() ? avErrorString(averror) : m_text;
    }

private:
    std::string m_text;
    std::string* m_previous = nullptr;
};

}  // namespace

struct MediaSource::Impl {
    std::filesystem::path path;
    SourceOptions options;
    AvInputFormatPtr fmt;
    AvCodecContextPtr dec;
    AVStream* stream = nullptr;
    StreamInfo info;
    AvPacketPtr pkt = makePacket();
    bool demuxEnded = false;        // flush packet sent to the decoder
    bool decoderEnded = false;      // decoder returned EOF
    std::vector<int64_t> ptsIndex;  // sorted pts of every frame, built on the first seek or at open
    bool ptsIndexBuilt = false;
    bool ptsIndexUsable = false;
    int64_t counter = 0;  // index of the next frame when no pts index is available
    int64_t lastIndex = -1;
    std::optional<Frame> pending;  // the frame a seek landed on
    int errorBudget = 1000;        // consecutive decode errors before giving up

    void warn(const std::string& message) const {
        if (options.onWarning)
            options.onWarning(message);
    }
    std::unique_ptr<detail::Deinterlacer> deinterlacer;  // SourceOptions::deinterlace
    bool deinterlacerFlushed = false;

    Result<std::optional<AvFramePtr>> decodeNext();  // decoded (and deinterlaced) frames
    Result<std::optional<AvFramePtr>> decodeRaw();
    Frame wrap(AvFramePtr av);
    Status rewind(int64_t targetPts);
    Status buildPtsIndex();
    Status seekToPts(int64_t targetPts);
};

MediaSource::MediaSource() : m_impl(std::make_unique<Impl>()) {}
MediaSource::~MediaSource() = default;

const StreamInfo& MediaSource::info() const {
    return m_impl->info;
}
const AVFormatContext* MediaSource::formatContext() const {
    return m_impl->fmt.get();
}

Result<std::unique_ptr<MediaSource>> MediaSource::open(const std::filesystem::path& path,
                                                       const SourceOptions& options) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
        return makeError(ErrorCode::NotFound, "input not found: " + path.string());
    }
    if (std::filesystem::is_directory(status)) {
        return makeError(ErrorCode::InvalidInput,
                         "input is a directory, not a video file: " + path.string());
    }
    if (!std::filesystem::is_regular_file(status)) {
        // A FIFO, socket or device would block in open() or be consumed by the first of the
        // several passes an export makes (frame count, video, the copied audio).
        return makeError(ErrorCode::InvalidInput,
                         "input is a pipe or device, not a file: " + path.string() +
                             " (flashvsr reads its input more than once; save it to a file first)");
    }
    if (std::filesystem::is_regular_file(status) && std::filesystem::file_size(path, ec) == 0) {
        return makeError(ErrorCode::InvalidInput,
                         "input is an empty file (0 bytes): " + path.string());
    }

    std::unique_ptr<MediaSource> src(new MediaSource());
    Impl& d = *src->m_impl;
    d.path = path;
    d.options = options;
    AVFormatContext* raw = nullptr;
    const FfmpegErrorCapture ffmpegError;
    if (int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); err < 0) {
        if (err == AVERROR(EACCES)) {
            return makeError(ErrorCode::IoError,
                             "cannot read " + path.string() + ": permission denied");
        }
        return makeError(ErrorCode::InvalidInput,
                         "not a media file FFmpeg can read: " + path.string() + " (" +
                             ffmpegError.reason(err) + ")");
    }
    d.fmt.reset(raw);
    if (int err = avformat_find_stream_info(raw, nullptr); err < 0) {
        return makeError(ErrorCode::InvalidInput, "cannot read stream information of " +
                                                      path.string() + " (" +
                                                      ffmpegError.reason(err) + ")");
    }
    const AVCodec* codec = nullptr;
    int vindex = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (vindex >= 0 && (raw->streams[vindex]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        vindex = -1;
    if (vindex < 0) {
        if (vindex == AVERROR_DECODER_NOT_FOUND) {
            return makeError(ErrorCode::Unsupported,
                             "no decoder for the video stream of " + path.string());
        }
        return makeError(ErrorCode::InvalidInput, "no video stream in " + path.string() +
                                                      " (audio-only or not a video file)");
    }
    d.stream = raw->streams[vindex];
    if (d.stream->codecpar->width <= 0 || d.stream->codecpar->height <= 0) {
        return makeError(ErrorCode::InvalidInput,
                         "video stream has no picture size: " + path.string());
    }
    d.dec.reset(avcodec_alloc_context3(codec));
    if (!d.dec)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a decoder");
    avcodec_parameters_to_context(d.dec.get(), d.stream->codecpar);
    d.dec->pkt_timebase = d.stream->time_base;
    d.dec->thread_count = options.decoderThreads;
    if (int err = avcodec_open2(d.dec.get(), codec, nullptr); err < 0) {
        return makeError(ErrorCode::Unsupported, "cannot open the " + std::string(codec->name) +
                                                     " decoder: " + ffmpegError.reason(err));
    }
    d.info = detail::describeStreams(raw, vindex, path.string());
    if (options.deinterlace)
        d.deinterlacer = std::make_unique<detail::Deinterlacer>(d.stream->time_base);
    else if (d.info.interlaced)
        d.warn(
            "the video is interlaced: upscaled as is, its combing is enlarged too (use "
            "--deinterlace)");
    if (!d.info.frameCountExact && options.exactFrameCount) {
        // No count in the container: count packets (demux only, no decoding) and keep the pts list,
        // which also makes seeks frame-exact and tells constant from variable frame rate.
        if (Status s = d.buildPtsIndex(); !s)
            return s.error();
        d.info.frameCount = static_cast<int64_t>(d.ptsIndex.size());
        d.info.frameCountExact = true;
        if (d.ptsIndexUsable && d.ptsIndex.size() > 2) {
            const int64_t first = d.ptsIndex[1] - d.ptsIndex[0];
            d.info.variableFrameRate = std::any_of(d.ptsIndex.begin() + 1, d.ptsIndex.end(),
                                                   [&, prev = d.ptsIndex[0]](int64_t p) mutable {
                                                       const int64_t step = p - prev;
                                                       prev = p;
                                                       return std::llabs(step - first) > 1;
                                                   });
        }
        if (Status s = d.rewind(d.info.startPts); !s)
            return s.error();
    }
    return src;
}

Status MediaSource::Impl::buildPtsIndex() {
    if (ptsIndexBuilt)
        return {};
    if (Status s = rewind(info.startPts); !s)
        return s;
    ptsIndexUsable = detail::scanVideoPts(fmt.get(), stream->index, ptsIndex) && !ptsIndex.empty();
    ptsIndexBuilt = true;
    return rewind(info.startPts);
}

Status MediaSource::Impl::rewind(int64_t targetPts) {
    avcodec_flush_buffers(dec.get());
    demuxEnded = decoderEnded = false;
    if (deinterlacer) {
        deinterlacer->reset();
        deinterlacerFlushed = false;
    }
    pending.reset();
    int err = av_seek_frame(fmt.get(), stream->index, targetPts, AVSEEK_FLAG_BACKWARD);
    if (err < 0)
        err = avformat_seek_file(fmt.get(), stream->index, INT64_MIN, targetPts, targetPts, 0);
    // Raw elementary streams (.h264, .hevc) have no timestamps to seek by: back to the first byte,
    // and the caller decodes forward to the target.
    if (err < 0 && fmt->pb && (fmt->pb->seekable & AVIO_SEEKABLE_NORMAL))
        err = av_seek_frame(fmt.get(), -1, 0, AVSEEK_FLAG_BYTE);
    if (err < 0)
        return makeError(ErrorCode::IoError,
                         "cannot seek in " + path.string() + ": " + avErrorString(err));
    return {};
}

Result<std::optional<AvFramePtr>> MediaSource::Impl::decodeNext() {
    if (!deinterlacer)
        return decodeRaw();
    while (true) {
        auto out = deinterlacer->pull();
        if (!out)
            return out.error();
        if (out.value())
            return std::optional<AvFramePtr>(std::move(out.value()));
        if (deinterlacerFlushed)
            return std::optional<AvFramePtr>();
        auto in = decodeRaw();
        if (!in)
            return in.error();
        if (Status st = deinterlacer->push(in.value() ? in.value()->get() : nullptr); !st)
            return st.error();
        deinterlacerFlushed = !in.value();
    }
}

Result<std::optional<AvFramePtr>> MediaSource::Impl::decodeRaw() {
    AvFramePtr frame = makeFrame();
    int consecutiveErrors = 0;
    while (!decoderEnded) {
        const int r = avcodec_receive_frame(dec.get(), frame.get());
        if (r == 0) {
            if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
                warn("frame at pts " + std::to_string(frame->best_effort_timestamp) +
                     " decoded with errors (concealed)");
            }
            return std::optional<AvFramePtr>(std::move(frame));
        }
        if (r == AVERROR_EOF) {
            decoderEnded = true;
            break;
        }
        if (r != AVERROR(EAGAIN)) {
            warn("decode error skipped: " + avErrorString(r));
            if (++consecutiveErrors > errorBudget) {
                return makeError(ErrorCode::InvalidInput,
                                 "too many decode errors in " + path.string());
            }
            continue;
        }
        if (demuxEnded) {
            // EAGAIN after the flush packet: nothing more will come.
            decoderEnded = true;
            break;
        }
        const int rr = av_read_frame(fmt.get(), pkt.get());
        if (rr < 0) {
            if (rr != AVERROR_EOF) {
                warn("reading " + path.string() + " stopped early (" + avErrorString(rr) +
                     "): the file looks truncated or damaged");
            }
            avcodec_send_packet(dec.get(), nullptr);
            demuxEnded = true;
            continue;
        }
        if (pkt->stream_index == stream->index) {
            if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
                warn("corrupt packet at pts " + std::to_string(pkt->pts) + " (decoding it anyway)");
            }
            const int s = avcodec_send_packet(dec.get(), pkt.get());
            if (s < 0 && s != AVERROR(EAGAIN)) {
                warn("corrupt packet at pts " + std::to_string(pkt->pts) +
                     " skipped: " + avErrorString(s));
                if (++consecutiveErrors > errorBudget) {
                    av_packet_unref(pkt.get());
                    return makeError(ErrorCode::InvalidInput,
                                     "too many corrupt packets in " + path.string());
                }
            }
        }
        av_packet_unref(pkt.get());
    }
    return std::optional<AvFramePtr>();
}

Frame MediaSource::Impl::wrap(AvFramePtr av) {
    Frame f;
    int64_t pts = av->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = av->pts;
    if (ptsIndexUsable && pts != AV_NOPTS_VALUE) {
        auto it = std::lower_bound(ptsIndex.begin(), ptsIndex.end(), pts);
        f.index = it - ptsIndex.begin();
    } else {
        f.index = counter;
    }
    if (pts == AV_NOPTS_VALUE) {
        // No timestamps at all (raw elementary streams): derive them from the frame rate.
        const AVRational rate = info.avgFrameRate.num > 0 ? info.avgFrameRate : AVRational{25, 1};
        pts = info.startPts + av_rescale_q(f.index, av_inv_q(rate), info.timeBase);
    }
    counter = f.index + 1;
    lastIndex = f.index;
    av->pts = pts;
    f.ptsUs = toUs(pts - info.startPts, info.timeBase);
    f.av = std::move(av);
    return f;
}

Result<std::optional<Frame>> MediaSource::read() {
    Impl& d = *m_impl;
    if (d.pending) {
        std::optional<Frame> out = std::move(d.pending);
        d.pending.reset();
        return out;
    }
    auto next = d.decodeNext();
    if (!next)
        return next.error();
    if (!next.value()) {
        if (d.info.frameCountExact && d.lastIndex + 1 < d.info.frameCount) {
            d.warn("video ends after " + std::to_string(d.lastIndex + 1) + " of " +
                   std::to_string(d.info.frameCount) + " frames: the file is truncated or damaged");
            d.lastIndex = d.info.frameCount;  // warn once
        }
        return std::optional<Frame>();
    }
    return std::optional<Frame>(d.wrap(std::move(*next.value())));
}

Status MediaSource::Impl::seekToPts(int64_t targetPts) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        // Second attempt: the demuxer landed after the target, so decode from the very start.
        if (Status s = rewind(attempt == 0 ? targetPts : info.startPts); !s)
            return s;
        bool first = true;
        bool landedLate = false;
        while (true) {
            auto next = decodeNext();
            if (!next)
                return next.error();
            if (!next.value())
                break;
            AvFramePtr av = std::move(*next.value());
            const int64_t pts =
                av->best_effort_timestamp != AV_NOPTS_VALUE ? av->best_effort_timestamp : av->pts;
            if (first && pts > targetPts && attempt == 0) {
                landedLate = true;
                break;
            }
            first = false;
            if (pts >= targetPts) {
                pending = wrap(std::move(av));
                return {};
            }
        }
        if (!landedLate)
            break;
    }
    return makeError(ErrorCode::InvalidArgument, "seek target is past the end of " + path.string());
}

Status MediaSource::seekToFrame(int64_t index) {
    Impl& d = *m_impl;
    if (index < 0 || (d.info.frameCountExact && index >= d.info.frameCount)) {
        return makeError(ErrorCode::InvalidArgument, "frame " + std::to_string(index) +
                                                         " is outside 0.." +
                                                         std::to_string(d.info.frameCount - 1));
    }
    if (Status s = d.buildPtsIndex(); !s)
        return s;
    if (d.ptsIndexUsable && index < static_cast<int64_t>(d.ptsIndex.size())) {
        return d.seekToPts(d.ptsIndex[index]);
    }
    // No usable timestamps: decode from the start and count.
    if (Status s = d.rewind(d.info.startPts); !s)
        return s;
    d.counter = 0;
    for (int64_t i = 0; i <= index; ++i) {
        auto next = d.decodeNext();
        if (!next)
            return next.error();
        if (!next.value())
            return makeError(ErrorCode::InvalidArgument, "frame index past the end");
        Frame f = d.wrap(std::move(*next.value()));
        if (i == index)
            d.pending = std::move(f);
    }
    return {};
}

Status MediaSource::seekToTime(int64_t ptsUs) {
    Impl& d = *m_impl;
    if (ptsUs < 0)
        return makeError(ErrorCode::InvalidArgument, "negative seek time");
    if (Status s = d.buildPtsIndex(); !s)
        return s;
    return d.seekToPts(d.info.startPts + fromUs(ptsUs, d.info.timeBase));
}

}  // namespace fvs::core
