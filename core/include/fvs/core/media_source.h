#pragma once
// MediaSource: demux + decode of the best video stream of any FFmpeg-readable file.
// Thread contract: one thread uses a MediaSource at a time (the decode stage owns it).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "fvs/core/frame.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

struct SourceOptions {
    // Count frames exactly at open() by demuxing the whole file when the container gives no exact
    // count (cheap: packets only, no decoding). Off: StreamInfo::frameCount may be an estimate.
    bool exactFrameCount = true;
    int decoderThreads = 0;  // 0: FFmpeg picks
    // Deinterlace decoded frames with bwdif (one frame per frame, same pts). Without it, an
    // interlaced source gets a warning at open().
    bool deinterlace = false;
    // Warnings (corrupt packets skipped, truncated file, ...). Called on the decoding thread.
    std::function<void(const std::string&)> onWarning;
};

class MediaSource {
public:
    static Result<std::unique_ptr<MediaSource>> open(const std::filesystem::path& path,
                                                     const SourceOptions& options = {});
    ~MediaSource();
    MediaSource(const MediaSource&) = delete;
    MediaSource& operator=(const MediaSource&) = delete;

    const StreamInfo& info() const;

    // The next decoded frame in presentation order (Frame::index counts from 0 at the file start,
    // also after a seek), nullopt at the end. Corrupt packets are skipped with a warning; a
    // truncated file ends cleanly with a warning.
    Result<std::optional<Frame>> read();

    // Frame-accurate seek: the next read() returns the frame with this index.
    Status seekToFrame(int64_t index);
    // Seek so the next read() returns the first frame whose pts >= ptsUs (microseconds from start).
    Status seekToTime(int64_t ptsUs);

    // The demuxer, for reading the container's other streams (read-only use).
    const AVFormatContext* formatContext() const;

private:
    MediaSource();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Convenience: open + info, for `flashvsr probe`.
Result<StreamInfo> probe(const std::filesystem::path& path);
// StreamInfo as JSON text (the `flashvsr probe` format, documented in docs/cli.md).
std::string toJson(const StreamInfo& info);

}  // namespace fvs::core
