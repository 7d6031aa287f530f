#pragma once
// StreamInfo: what MediaSource learned about a file (flashvsr probe prints it as JSON).

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>
}

namespace fvs::core {

struct AuxStreamInfo {
    int index = -1;        // stream index in the container
    std::string kind;      // "audio", "subtitle", "attachment", "data"
    std::string codec;     // codec name, e.g. "aac"
    std::string language;  // from the stream's metadata, may be empty
    int channels = 0;      // audio only
    int sampleRate = 0;    // audio only
};

struct StreamInfo {
    std::string path;
    std::string container;  // format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    int videoStreamIndex = -1;
    std::string codec;  // video codec name
    int width = 0;
    int height = 0;
    AVRational sar{1, 1};  // sample aspect ratio (1:1 when unknown)
    AVRational avgFrameRate{0, 1};
    AVRational realFrameRate{0, 1};  // r_frame_rate
    AVRational timeBase{0, 1};
    int64_t startPts = 0;  // first video pts in timeBase
    int64_t durationUs = 0;
    int64_t frameCount = 0;
    bool frameCountExact = false;  // counted / from the container index, vs estimated
    bool variableFrameRate = false;
    AVPixelFormat pixelFormat = AV_PIX_FMT_NONE;
    std::string pixelFormatName;
    int bitDepth = 8;
    AVColorPrimaries colorPrimaries = AVCOL_PRI_UNSPECIFIED;
    AVColorTransferCharacteristic colorTransfer = AVCOL_TRC_UNSPECIFIED;
    AVColorSpace colorSpace = AVCOL_SPC_UNSPECIFIED;
    AVColorRange colorRange = AVCOL_RANGE_UNSPECIFIED;
    int rotationDegrees = 0;  // from the display matrix: 0, 90, 180, 270 (clockwise)
    std::vector<AuxStreamInfo> auxStreams;
    int chapterCount = 0;
    bool interlaced = false;  // the stream says its frames are interlaced (field order)

    double fps() const;  // avgFrameRate as double (realFrameRate if avg is unknown)
};

}  // namespace fvs::core
