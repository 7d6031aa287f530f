#pragma once
// Internal pieces of MediaSink (not a public header): output path rules, encoder choice and the
// stream-copy of non-video streams.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fvs/core/media_sink.h"

namespace fvs::core::detail {

using WarnFn = std::function<void(const std::string&)>;

// True when the output name is an image-sequence pattern (contains a printf-style %d).
bool isImagePattern(const std::filesystem::path& output);
// The muxer name for settings + output name ("mp4", "mov", "matroska", "image2"), or an error.
Result<std::string> muxerFor(const EncodeSettings& settings, const std::filesystem::path& output);
// The file name of the frame with this number in an image pattern.
std::filesystem::path imageFileName(const std::filesystem::path& pattern, int number);
// Where a sink writes before the rename: NAME.part, or a hidden .part directory for sequences.
std::filesystem::path partPathFor(const std::filesystem::path& output);
// Maps an errno-style AVERROR from writing to an Error (ENOSPC -> DiskFull).
Error writeError(int averror, const std::filesystem::path& path, const std::string& what);
// Renames a finished .part (file or image-sequence directory) to the final name(s).
Status commitPart(const std::filesystem::path& part, const std::filesystem::path& output,
                  bool overwrite);
// Removes a .part file or directory, ignoring errors.
void removePart(const std::filesystem::path& part);

// The output timeline of a sink or a join: `shiftUs` is subtracted from every source timestamp
// (microseconds of the source timeline); `trimStartUs` is the in point the copied streams see.
struct OutputShift {
    int64_t shiftUs = 0;
    int64_t trimStartUs = 0;
};
OutputShift outputShift(int64_t videoStartUs, const SinkOptions& options);

using PacketWriter = std::function<Status(AVPacket*)>;

// Converts one copied stream the output container cannot carry as is: audio -> AAC, or a text
// subtitle -> mov_text / SubRip. Packets come in with output-relative timestamps in the input
// stream's time base; the writer gets them in the output stream's time base.
class StreamTranscoder {
public:
    static Result<std::unique_ptr<StreamTranscoder>> audioToAac(const AVStream* in,
                                                                AVFormatContext* out);
    static Result<std::unique_ptr<StreamTranscoder>> textSubtitle(const AVStream* in,
                                                                  AVFormatContext* out,
                                                                  AVCodecID target);
    ~StreamTranscoder();
    StreamTranscoder(const StreamTranscoder&) = delete;
    StreamTranscoder& operator=(const StreamTranscoder&) = delete;

    AVStream* stream() const;
    Status push(AVPacket* packet, AVRational inTimeBase, const PacketWriter& write);
    Status flush(const PacketWriter& write);

private:
    StreamTranscoder();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Copies non-video streams (audio, subtitles, attachments), chapters and global metadata from a
// source file into an output being muxed, with a trim window. Audio the container cannot carry is
// re-encoded to AAC; text subtitles are converted (SRT <-> mov_text); the rest is dropped with a
// warning. Thread contract: used by the sink's thread only.
class Passthrough {
public:
    Passthrough();
    ~Passthrough();
    Passthrough(const Passthrough&) = delete;
    Passthrough& operator=(const Passthrough&) = delete;

    // Adds output streams to `out` (before its header is written). `shiftUs` is subtracted from
    // every copied timestamp (the video start + trim start, in source microseconds).
    Status open(const std::filesystem::path& source, AVFormatContext* out, int excludeStream,
                int64_t trimStartUs, int64_t trimEndUs, int64_t shiftUs, const WarnFn& warn);
    // Writes the copied packets whose output time is below untilUs (microseconds).
    Status writeUntil(int64_t untilUs);
    // Writes everything left (call before the trailer).
    Status finish();
    bool active() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fvs::core::detail
