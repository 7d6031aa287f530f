#pragma once
// MediaSink: encode + mux one output file. Writes NAME.part and renames to NAME on finish(), so a
// partial output never appears under the final name. Non-video streams of the source (audio,
// subtitles, attachments, chapters, global metadata) are stream-copied from the source file.
// Thread contract: one thread (the encode stage) uses a MediaSink.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "fvs/core/frame.h"
#include "fvs/core/result.h"
#include "fvs/core/stream_info.h"

namespace fvs::core {

struct EncodeSettings {
    std::string codec =
        "libx264";  // libx264 libx265 libsvtav1 prores_ks ffv1 png tiff h264_nvenc hevc_nvenc
    std::string container;      // "mp4" "mov" "mkv" "image2"; empty: from the output's extension
    int crf = -1;               // CRF (x264/x265/svtav1) or QP (nvenc); -1: codec default
    int64_t bitrate = 0;        // bits/s; > 0 selects bitrate mode
    std::string preset;         // encoder preset, codec-specific ("medium", "p5", ...)
    std::string pixelFormat;    // e.g. "yuv420p", "yuv420p10le", "yuv422p10le"; empty: auto
    std::string proresProfile;  // "hq" (422 HQ) or "4444" for prores_ks
    bool overwrite = false;
};

struct SinkOptions {
    std::filesystem::path output;  // final name (image sequences: a pattern like out_%06d.png)
    EncodeSettings encode;
    int width = 0;  // output picture size
    int height = 0;
    AVRational sar{1, 1};
    AVPixelFormat inputFormat = AV_PIX_FMT_RGB24;  // format of frames passed to write()
    // Copy non-video streams from this source file (empty: none). Packets in [trimStartUs,
    // trimEndUs) of the source timeline are copied and shifted by -trimStartUs.
    std::filesystem::path passthroughFrom;
    int64_t trimStartUs = 0;
    int64_t trimEndUs = INT64_MAX;
    // An untrimmed export keeps the source's timestamps (a first frame at 1.5 s stays at 1.5 s,
    // audio and chapters where they were); otherwise the output starts at 0 at trimStartUs.
    bool keepSourceTimestamps = false;
    std::map<std::string, std::string>
        metadata;  // added to the container (engine, model, settings)
    std::function<void(const std::string&)> onWarning;  // e.g. "audio re-encoded to AAC for mp4"
};

// Encoders usable here (NVENC only when a working NVIDIA driver is found at run time).
std::vector<std::string> availableEncoders();

// Checks an output path before any work: not the input (also via symlinks / hard links), directory
// writable, not existing unless overwrite. Returns the error MediaSink::open would give.
Status checkOutputPath(const std::filesystem::path& output, const std::filesystem::path& input,
                       bool overwrite);

// How a join reports progress and is stopped (a stop gives ErrorCode::Cancelled, no output).
struct JoinControl {
    std::stop_token stop;
    // Per segment (empty: all 0): added to its timestamps, in the source's time base. Segments
    // written from pts 0 keep their edit lists exact; the offset puts them back on the timeline.
    std::vector<int64_t> ptsOffsets;
    std::function<void(int64_t framesJoined)> onProgress;  // after every video packet
};

// Losslessly concatenates video-only segment files written by MediaSink (same settings, no
// passthrough) into options.output (via .part + rename), adding the source's passthrough streams,
// chapters and options.metadata. The segments carry the output timeline (pts relative to the
// range start), which is kept exactly; a dts that would not increase at a seam is moved up.
// Used to finish a segmented export.
Status joinSegments(const std::vector<std::filesystem::path>& segments, const StreamInfo& source,
                    const SinkOptions& options, const JoinControl& control = {});

class MediaSink {
public:
    // `source` describes the input (colour tags, rotation, time base, frame rate are carried over).
    static Result<std::unique_ptr<MediaSink>> open(const StreamInfo& source,
                                                   const SinkOptions& options);
    ~MediaSink();  // without finish(): aborts, removes the .part file
    MediaSink(const MediaSink&) = delete;
    MediaSink& operator=(const MediaSink&) = delete;

    // Frames in presentation order; frame.av->pts in the source time base is kept (output frame i
    // carries the pts of input frame i, shifted by the trim start).
    Status write(const Frame& frame);
    // Flush encoders, write the trailer, copy the remaining passthrough packets, rename .part.
    Status finish();
    // Stop and delete the partial file.
    void abort();

    const std::filesystem::path& partPath() const;

private:
    MediaSink();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fvs::core
