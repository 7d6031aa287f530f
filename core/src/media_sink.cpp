#include "fvs/core/media_sink.h"

#include <map>
#include <system_error>

#include "fvs/core/frame_convert.h"
#include "media_detail.h"
#include "media_sink_detail.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace fvs::core {
namespace fs = std::filesystem;
using detail::fromUs;
using detail::toUs;

namespace {

bool isKnownCodec(const std::string& name) {
    for (const char* c : {"libx264", "libx265", "libsvtav1", "prores_ks", "ffv1", "png", "tiff",
                          "h264_nvenc", "hevc_nvenc"}) {
        if (name == c)
            return true;
    }
    return false;
}

bool supports(const AVCodec* codec, AVPixelFormat f) {
    if (!codec->pix_fmts)
        return true;
    for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
        if (*p == f)
            return true;
    }
    return false;
}

std::string supportedList(const AVCodec* codec) {
    std::string s;
    for (const AVPixelFormat* p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; ++p) {
        if (!s.empty())
            s += ", ";
        s += av_get_pix_fmt_name(*p);
    }
    return s;
}

// The encoder's pixel format: the user's choice, else the source's chroma layout at 8 or 10 bits.
Result<AVPixelFormat> choosePixelFormat(const AVCodec* codec, const EncodeSettings& s,
                                        AVPixelFormat input, const StreamInfo& source) {
    const std::string name = codec->name;
    const bool deep = bitDepthOf(input) > 8;
    if (!s.pixelFormat.empty()) {
        const AVPixelFormat f = av_get_pix_fmt(s.pixelFormat.c_str());
        if (f == AV_PIX_FMT_NONE) {
            return makeError(ErrorCode::InvalidArgument,
                             "unknown pixel format '" + s.pixelFormat + "'");
        }
        if (!supports(codec, f)) {
            return makeError(ErrorCode::InvalidArgument, name + " cannot encode " + s.pixelFormat +
                                                             " (it takes: " + supportedList(codec) +
                                                             ")");
        }
        return f;
    }
    AVPixelFormat want = AV_PIX_FMT_NONE;
    if (name == "png") {
        want = deep ? AV_PIX_FMT_RGB48BE : AV_PIX_FMT_RGB24;
    } else if (name == "tiff") {
        want = deep ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24;
    } else if (name == "prores_ks") {
        want = s.proresProfile == "4444" || s.proresProfile == "4444xq" ? AV_PIX_FMT_YUV444P10LE
                                                                        : AV_PIX_FMT_YUV422P10LE;
    } else {
        const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(source.pixelFormat);
        const bool rgbSource = !d || (d->flags & AV_PIX_FMT_FLAG_RGB);
        const int cw = d && !rgbSource ? d->log2_chroma_w : 1;
        const int ch = d && !rgbSource ? d->log2_chroma_h : 1;
        if (cw == 0 && ch == 0) {
            want = deep ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV444P;
        } else if (cw == 1 && ch == 0) {
            want = deep ? AV_PIX_FMT_YUV422P10LE : AV_PIX_FMT_YUV422P;
        } else {
            want = deep ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P;
        }
        if (name == "hevc_nvenc" && want == AV_PIX_FMT_YUV420P10LE)
            want = AV_PIX_FMT_P010LE;
    }
    if (supports(codec, want))
        return want;
    // Nearest format the encoder takes (e.g. SVT-AV1 only does 4:2:0).
    return avcodec_find_best_pix_fmt_of_list(codec->pix_fmts, want, 0, nullptr);
}

std::string containersFor(AVCodecID id) {
    std::string list;
    for (const auto& [muxer, ext] :
         {std::pair{"mp4", ".mp4"}, {"mov", ".mov"}, {"matroska", ".mkv"}}) {
        const AVOutputFormat* f = av_guess_format(muxer, nullptr, nullptr);
        if (f && avformat_query_codec(f, id, FF_COMPLIANCE_NORMAL) == 1) {
            list += list.empty() ? ext : std::string(", ") + ext;
        }
    }
    return list;
}

bool needsEvenSize(const std::string& codec) {
    return codec == "libx264" || codec == "libx265" || codec == "libsvtav1" ||
           codec == "h264_nvenc" || codec == "hevc_nvenc";
}

}  // namespace

struct MediaSink::Impl {
    SinkOptions opt;
    StreamInfo source;
    fs::path partPath;   // NAME.part, or the .part directory of an image sequence
    fs::path muxTarget;  // what the muxer opens (the part file, or a pattern inside the directory)
    bool imageSequence = false;
    AvOutputFormatPtr fmt;
    AvCodecContextPtr enc;
    AVStream* stream = nullptr;
    FrameConverter converter;
    AVPixelFormat encFormat = AV_PIX_FMT_NONE;
    YuvColor color;
    int encWidth = 0, encHeight = 0;
    int64_t shiftPts = 0;                  // subtracted from source pts (video start + trim start)
    std::optional<Frame> held;             // one frame back, until the next one gives its duration
    std::map<int64_t, int64_t> durations;  // encoder pts -> frame duration
    int64_t defaultDuration = 1;
    int64_t lastDts = AV_NOPTS_VALUE;  // encoder time base
    detail::Passthrough passthrough;
    bool headerWritten = false;
    bool done = false;
    AvPacketPtr pkt = makePacket();

    void warn(const std::string& m) const {
        if (opt.onWarning)
            opt.onWarning(m);
    }
    Status setupEncoder(const AVCodec* codec, const std::string& muxer);
    Status encode(const Frame* frame, int64_t duration);
    void repairDts(AVPacket& p);
    Status checkIo(int err, const char* what);
    void close();
};

MediaSink::MediaSink() : m_impl(std::make_unique<Impl>()) {}
MediaSink::~MediaSink() {
    if (!m_impl->done)
        abort();
}

const fs::path& MediaSink::partPath() const {
    return m_impl->partPath;
}

Status MediaSink::Impl::checkIo(int err, const char* what) {
    if (err >= 0 && fmt && fmt->pb && fmt->pb->error < 0)
        err = fmt->pb->error;
    if (err >= 0)
        return {};
    return detail::writeError(err, imageSequence ? partPath : partPath, what);
}

Status MediaSink::Impl::setupEncoder(const AVCodec* codec, const std::string& muxer) {
    const std::string name = codec->name;
    auto pix = choosePixelFormat(codec, opt.encode, opt.inputFormat, source);
    if (!pix)
        return pix.error();
    encFormat = pix.value();
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(encFormat);
    encWidth = opt.width;
    encHeight = opt.height;
    if (needsEvenSize(name) && d &&
        ((d->log2_chroma_w && (encWidth & 1)) || (d->log2_chroma_h && (encHeight & 1)))) {
        // 4:2:0 / 4:2:2 H.264/HEVC/AV1 need even sizes: drop the last column / row.
        const int w = d->log2_chroma_w ? encWidth & ~1 : encWidth;
        const int h = d->log2_chroma_h ? encHeight & ~1 : encHeight;
        warn(std::to_string(encWidth) + "x" + std::to_string(encHeight) + " is odd and " +
             av_get_pix_fmt_name(encFormat) + " needs even sizes: encoding " + std::to_string(w) +
             "x" + std::to_string(h) + " (use a 4:4:4 pixel format to keep every pixel)");
        encWidth = w;
        encHeight = h;
    }
    color = yuvColorFor(source);
    enc.reset(avcodec_alloc_context3(codec));
    if (!enc)
        return makeError(ErrorCode::OutOfMemory, "cannot allocate an encoder");
    enc->width = encWidth;
    enc->height = encHeight;
    enc->pix_fmt = encFormat;
    enc->sample_aspect_ratio = opt.sar;
    enc->time_base = source.timeBase;
    if (source.avgFrameRate.num > 0 && source.avgFrameRate.den > 0) {
        enc->framerate = source.avgFrameRate;
    } else if (source.realFrameRate.num > 0) {
        enc->framerate = source.realFrameRate;
    }
    const bool rgbOut = d && (d->flags & AV_PIX_FMT_FLAG_RGB);
    enc->color_primaries = source.colorPrimaries;
    enc->color_trc = source.colorTransfer;
    enc->colorspace = rgbOut ? AVCOL_SPC_RGB : color.matrix;
    enc->color_range = rgbOut ? AVCOL_RANGE_JPEG : color.range;
    if (fmt->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* o = nullptr;
    const EncodeSettings& s = opt.encode;
    const bool nvenc = name.find("nvenc") != std::string::npos;
    if (s.bitrate > 0) {
        enc->bit_rate = s.bitrate;
    } else if (s.crf >= 0) {
        if (nvenc) {
            av_dict_set(&o, "rc", "constqp", 0);
            av_dict_set_int(&o, "qp", s.crf, 0);
        } else if (name == "libx264" || name == "libx265" || name == "libsvtav1") {
            av_dict_set_int(&o, "crf", s.crf, 0);
        } else {
            warn(name + " has no CRF; --crf ignored");
        }
    }
    if (!s.preset.empty())
        av_dict_set(&o, "preset", s.preset.c_str(), 0);
    if (name == "prores_ks")
        av_dict_set(&o, "profile", s.proresProfile.empty() ? "hq" : s.proresProfile.c_str(), 0);
    if (name == "libx265")
        av_dict_set(&o, "x265-params", "log-level=error", 0);
    if (name == "ffv1") {
        av_dict_set(&o, "level", "3", 0);    // slices + CRCs, multithreaded
        av_dict_set(&o, "slices", "16", 0);  // one slice per thread at 4K too
    }
    if (name == "ffv1" || name == "prores_ks")
        enc->thread_count = 0;  // slice threads on every core (FFmpeg's default is one thread)
    const int err = avcodec_open2(enc.get(), codec, &o);
    const AVDictionaryEntry* unused = av_dict_get(o, "", nullptr, AV_DICT_IGNORE_SUFFIX);
    std::string unusedName = unused ? unused->key : "";
    av_dict_free(&o);
    if (err < 0) {
        return makeError(ErrorCode::InvalidArgument,
                         "cannot open the " + name + " encoder (" + av_get_pix_fmt_name(encFormat) +
                             ", " + std::to_string(encWidth) + "x" + std::to_string(encHeight) +
                             "): " + avErrorString(err));
    }
    if (!unusedName.empty())
        warn(name + " ignored the option '" + unusedName + "'");
    (void)muxer;
    return {};
}

Result<std::unique_ptr<MediaSink>> MediaSink::open(const StreamInfo& source,
                                                   const SinkOptions& options) {
    if (options.width <= 0 || options.height <= 0 || options.width > 16384 ||
        options.height > 16384) {
        return makeError(ErrorCode::InvalidArgument,
                         "output size " + std::to_string(options.width) + "x" +
                             std::to_string(options.height) + " is outside 1..16384");
    }
    if (source.timeBase.num <= 0 || source.timeBase.den <= 0) {
        return makeError(ErrorCode::InvalidArgument, "source has no time base");
    }
    const EncodeSettings& s = options.encode;
    if (!isKnownCodec(s.codec)) {
        return makeError(ErrorCode::InvalidArgument,
                         "unknown codec '" + s.codec +
                             "' (libx264, libx265, libsvtav1, prores_ks, ffv1, png, tiff, "
                             "h264_nvenc, hevc_nvenc)");
    }
    const auto avail = availableEncoders();
    if (std::find(avail.begin(), avail.end(), s.codec) == avail.end()) {
        return makeError(ErrorCode::Unsupported, "encoder " + s.codec + " is not usable here" +
                                                     (s.codec.find("nvenc") != std::string::npos
                                                          ? " (no working NVIDIA driver found)"
                                                          : ""));
    }
    auto muxer = detail::muxerFor(s, options.output);
    if (!muxer)
        return muxer.error();
    const bool image = muxer.value() == "image2";
    if (image != (s.codec == "png" || s.codec == "tiff")) {
        return makeError(
            ErrorCode::InvalidArgument,
            image ? "an image sequence needs --codec png or tiff"
                  : s.codec + " writes image sequences: use a pattern like frame_%06d.png");
    }
    if (Status c = checkOutputPath(options.output, options.passthroughFrom, s.overwrite); !c)
        return c.error();
    if (!source.path.empty()) {
        if (Status c = checkOutputPath(options.output, source.path, s.overwrite); !c)
            return c.error();
    }

    std::unique_ptr<MediaSink> sink(new MediaSink());
    Impl& d = *sink->m_impl;
    d.opt = options;
    d.source = source;
    d.imageSequence = image;
    d.partPath = detail::partPathFor(options.output);
    const AVCodec* codec = avcodec_find_encoder_by_name(s.codec.c_str());
    const AVOutputFormat* ofmt = av_guess_format(muxer.value().c_str(), nullptr, nullptr);
    if (!ofmt)
        return makeError(ErrorCode::Unsupported, "muxer " + muxer.value() + " not available");
    if (!image && avformat_query_codec(ofmt, codec->id, FF_COMPLIANCE_NORMAL) != 1) {
        return makeError(ErrorCode::InvalidArgument,
                         s.codec + " cannot be stored in " + muxer.value() + " (" + s.codec +
                             " goes in: " + containersFor(codec->id) + ")");
    }
    std::error_code ec;
    if (!image && fs::is_directory(d.partPath, ec)) {
        return makeError(
            ErrorCode::IoError,
            d.partPath.string() + " is a folder; the output needs that name for its .part file");
    }
    detail::removePart(d.partPath);  // a stale .part from a crashed run is ours to replace
    if (image) {
        fs::create_directory(d.partPath, ec);
        if (ec)
            return makeError(ErrorCode::IoError,
                             "cannot create " + d.partPath.string() + ": " + ec.message());
        d.muxTarget = d.partPath / options.output.filename();
    } else {
        d.muxTarget = d.partPath;
    }
    AVFormatContext* raw = nullptr;
    if (int err = avformat_alloc_output_context2(&raw, ofmt, nullptr, d.muxTarget.c_str());
        err < 0) {
        return makeError(ErrorCode::Internal, "cannot create the muxer: " + avErrorString(err));
    }
    d.fmt.reset(raw);
    if (Status st = d.setupEncoder(codec, muxer.value()); !st)
        return st.error();

    d.stream = avformat_new_stream(raw, nullptr);
    if (!d.stream)
        return makeError(ErrorCode::OutOfMemory, "cannot add the video stream");
    avcodec_parameters_from_context(d.stream->codecpar, d.enc.get());
    // The source time base, so the muxer can keep pts exactly (mov scales it by a power of two).
    d.stream->time_base = source.timeBase;
    d.stream->avg_frame_rate = d.enc->framerate;
    d.stream->sample_aspect_ratio = options.sar;
    if (source.rotationDegrees != 0 && !image) {
        auto* m = reinterpret_cast<int32_t*>(
            av_stream_new_side_data(d.stream, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
        if (m)
            av_display_rotation_set(m, source.rotationDegrees);
        if (muxer.value() == "matroska")
            d.warn("Matroska does not store rotation; use .mp4 or .mov to keep it");
    }
    d.shiftPts = options.keepSourceTimestamps
                     ? 0
                     : source.startPts + fromUs(options.trimStartUs, source.timeBase);
    const AVRational rate = d.enc->framerate.num > 0 ? d.enc->framerate : AVRational{25, 1};
    d.defaultDuration = std::max<int64_t>(1, av_rescale_q(1, av_inv_q(rate), source.timeBase));

    if (!options.passthroughFrom.empty() && !image) {
        const detail::OutputShift shift =
            detail::outputShift(toUs(source.startPts, source.timeBase), options);
        if (Status st = d.passthrough.open(options.passthroughFrom, raw, source.videoStreamIndex,
                                           shift.trimStartUs, options.trimEndUs, shift.shiftUs,
                                           options.onWarning);
            !st) {
            return st.error();
        }
    } else if (!options.passthroughFrom.empty()) {
        d.warn("image sequences carry no audio or subtitles; they are not copied");
    }
    for (const auto& [k, v] : options.metadata)
        av_dict_set(&raw->metadata, k.c_str(), v.c_str(), 0);

    AVDictionary* mo = nullptr;
    // mp4/mov store custom keys (engine, model, settings) only with use_metadata_tags.
    if (muxer.value() == "mp4" || muxer.value() == "mov")
        av_dict_set(&mo, "movflags", "+use_metadata_tags", 0);
    if (image)
        av_dict_set(&mo, "start_number", "1", 0);
    if (!(ofmt->flags & AVFMT_NOFILE)) {
        if (int err = avio_open(&raw->pb, d.muxTarget.c_str(), AVIO_FLAG_WRITE); err < 0) {
            av_dict_free(&mo);
            return detail::writeError(err, d.muxTarget, "creating");
        }
    }
    const int err = avformat_write_header(raw, &mo);
    av_dict_free(&mo);
    if (err < 0)
        return d.checkIo(err, "writing the header of").error();
    d.headerWritten = true;
    return sink;
}

void MediaSink::Impl::repairDts(AVPacket& p) {
    // Debian 12's libx265 3.5 can return a dts it never set (stack garbage: valgrind traces it to
    // its SAO statistics) for the first packets of a short encode, such as the 2-frame last
    // segment of a queue job; the muxer then refuses the segment ("pts/dts pair unsupported").
    // A dts must be set, not pass the pts, increase, and stay within the reorder depth.
    if (p.pts == AV_NOPTS_VALUE)
        return;
    const int64_t depth = int64_t(enc->has_b_frames + 1) * 4 * defaultDuration;
    const bool bad = p.dts == AV_NOPTS_VALUE || p.dts > p.pts || p.pts - p.dts > depth ||
                     (lastDts != AV_NOPTS_VALUE && p.dts <= lastDts);
    if (bad)
        p.dts = lastDts == AV_NOPTS_VALUE ? p.pts - defaultDuration * enc->has_b_frames
                                          : std::min(p.pts, lastDts + 1);
    lastDts = p.dts;
}

Status MediaSink::Impl::encode(const Frame* frame, int64_t duration) {
    int err = 0;
    if (frame) {
        auto conv = converter.convert(*frame, encFormat, encWidth, encHeight, color,
                                      encWidth < opt.width ? encWidth : 0,
                                      encHeight < opt.height ? encHeight : 0);
        if (!conv)
            return conv.error();
        Frame& f = conv.value();
        if (encWidth != opt.width || encHeight != opt.height) {
            // Cropped for an even size: scale 1:1 from the cropped area (the converter got the
            // crop).
        }
        f.av->pts = frame->av->pts - shiftPts;
        f.av->pict_type = AV_PICTURE_TYPE_NONE;
        durations[f.av->pts] = duration;
        err = avcodec_send_frame(enc.get(), f.av.get());
    } else {
        err = avcodec_send_frame(enc.get(), nullptr);
    }
    if (err < 0 && err != AVERROR_EOF) {
        return makeError(ErrorCode::Internal,
                         std::string("encoder ") + enc->codec->name + ": " + avErrorString(err));
    }
    while (true) {
        err = avcodec_receive_packet(enc.get(), pkt.get());
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            break;
        if (err < 0) {
            return makeError(ErrorCode::Internal, std::string("encoder ") + enc->codec->name +
                                                      ": " + avErrorString(err));
        }
        if (auto it = durations.find(pkt->pts); it != durations.end()) {
            pkt->duration = it->second;
            durations.erase(it);
        }
        pkt->stream_index = stream->index;
        repairDts(*pkt);
        const int64_t dtsUs =
            toUs(pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts, enc->time_base);
        av_packet_rescale_ts(pkt.get(), enc->time_base, stream->time_base);
        if (Status s = passthrough.writeUntil(dtsUs); !s)
            return s;
        err = av_interleaved_write_frame(fmt.get(), pkt.get());
        av_packet_unref(pkt.get());
        if (Status s = checkIo(err, "writing"); !s)
            return s;
    }
    return {};
}

Status MediaSink::write(const Frame& frame) {
    Impl& d = *m_impl;
    if (d.done)
        return makeError(ErrorCode::InvalidArgument, "write after finish/abort");
    if (!frame.valid())
        return makeError(ErrorCode::InvalidArgument, "write: empty frame");
    if (frame.width() != d.opt.width || frame.height() != d.opt.height) {
        return makeError(ErrorCode::InvalidArgument,
                         "write: frame is " + std::to_string(frame.width()) + "x" +
                             std::to_string(frame.height()) + ", the sink was opened for " +
                             std::to_string(d.opt.width) + "x" + std::to_string(d.opt.height));
    }
    if (frame.av->pts == AV_NOPTS_VALUE)
        return makeError(ErrorCode::InvalidArgument, "write: frame without pts");
    if (d.held) {
        const int64_t step = frame.av->pts - d.held->av->pts;
        if (step <= 0) {
            return makeError(ErrorCode::InvalidArgument,
                             "write: pts not increasing (" + std::to_string(d.held->av->pts) +
                                 " then " + std::to_string(frame.av->pts) + ")");
        }
        Frame prev = std::move(*d.held);
        d.held.reset();
        if (Status s = d.encode(&prev, step); !s)
            return s;
    }
    d.held = frame.ref();
    if (!d.held->valid())
        return makeError(ErrorCode::OutOfMemory, "write: cannot reference the frame");
    return {};
}

Status MediaSink::finish() {
    Impl& d = *m_impl;
    if (d.done)
        return makeError(ErrorCode::InvalidArgument, "finish called twice");
    Status result;
    if (d.held) {
#if LIBAVUTIL_VERSION_MAJOR < 58
        const int64_t own = d.held->av->pkt_duration;
#else
        const int64_t own = d.held->av->duration;
#endif
        Frame last = std::move(*d.held);
        d.held.reset();
        result = d.encode(&last, own > 0 ? own : d.defaultDuration);
    }
    if (result)
        result = d.encode(nullptr, 0);
    if (result)
        result = d.passthrough.finish();
    if (result)
        result = d.checkIo(av_write_trailer(d.fmt.get()), "finishing");
    if (result && d.fmt->pb && !(d.fmt->oformat->flags & AVFMT_NOFILE)) {
        avio_flush(d.fmt->pb);
        result = d.checkIo(avio_closep(&d.fmt->pb), "closing");
    }
    if (!result) {
        abort();
        return result;
    }
    d.fmt.reset();
    d.enc.reset();
    if (Status c = detail::commitPart(d.partPath, d.opt.output, d.opt.encode.overwrite); !c) {
        abort();
        return c;
    }
    d.done = true;
    return {};
}

void MediaSink::abort() {
    Impl& d = *m_impl;
    if (d.done)
        return;
    d.done = true;
    if (d.enc && avcodec_send_frame(d.enc.get(), nullptr) >= 0) {
        // Drained before it is freed: FFmpeg 5.1's libx265 wrapper leaks the per-frame data of
        // frames still inside the encoder (seen when a segment is stopped mid-way).
        while (avcodec_receive_packet(d.enc.get(), d.pkt.get()) >= 0)
            av_packet_unref(d.pkt.get());
    }
    d.enc.reset();
    d.fmt.reset();  // closes the file first, then it can go
    detail::removePart(d.partPath);
}

}  // namespace fvs::core
