#pragma once
// RAII owners for FFmpeg objects. No bare av_*_free in business logic.

#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace fvs::core {

struct AvFrameDeleter {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct AvPacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct AvCodecContextDeleter {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct AvInputFormatContextDeleter {
    void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct AvOutputFormatContextDeleter {
    void operator()(AVFormatContext* c) const {
        if (c && c->pb && !(c->oformat->flags & AVFMT_NOFILE))
            avio_closep(&c->pb);
        avformat_free_context(c);
    }
};
struct SwsContextDeleter {
    void operator()(SwsContext* c) const { sws_freeContext(c); }
};
struct AvBufferRefDeleter {
    void operator()(AVBufferRef* b) const { av_buffer_unref(&b); }
};

using AvFramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;
using AvPacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;
using AvCodecContextPtr = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;
using AvInputFormatPtr = std::unique_ptr<AVFormatContext, AvInputFormatContextDeleter>;
using AvOutputFormatPtr = std::unique_ptr<AVFormatContext, AvOutputFormatContextDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;
using AvBufferRefPtr = std::unique_ptr<AVBufferRef, AvBufferRefDeleter>;

inline AvFramePtr makeFrame() {
    return AvFramePtr(av_frame_alloc());
}
inline AvPacketPtr makePacket() {
    return AvPacketPtr(av_packet_alloc());
}

// av_err2str is a macro that needs a compound literal; this is the C++ spelling.
std::string avErrorString(int errnum);

}  // namespace fvs::core
