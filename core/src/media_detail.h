#pragma once
// Internal helpers shared by the media_* sources of fvs_core (not a public header).

#include <cstdint>
#include <string>
#include <vector>

#include "fvs/core/av_ptr.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core::detail {

inline int64_t toUs(int64_t ts, AVRational tb) {
    return av_rescale_q(ts, tb, AVRational{1, 1000000});
}
inline int64_t fromUs(int64_t us, AVRational tb) {
    return av_rescale_q(us, AVRational{1, 1000000}, tb);
}

// StreamInfo from an opened demuxer (no packet scan; frameCount from the container or estimated).
StreamInfo describeStreams(const AVFormatContext* fmt, int videoIndex, const std::string& path);

// Clockwise rotation in degrees (0/90/180/270) from a stream's display matrix; 0 without one.
int rotationOf(const AVStream* stream);

// Presentation pts (sorted) of every packet of the video stream, read from the current position to
// the end. Returns false when some packet has no timestamp (then the list is not usable for seeks).
bool scanVideoPts(AVFormatContext* fmt, int videoIndex, std::vector<int64_t>& ptsOut);

// Classifies an AVMediaType for AuxStreamInfo::kind.
const char* kindOf(AVMediaType type);

}  // namespace fvs::core::detail
