#pragma once
// The kept frames of an open segment (internal to fvs_core): while a segmented export writes a
// segment it also writes exactly what that segment's encoder is given into a lossless FFV1 file
// (KeptFramesWriter), so a stop inside the segment keeps those frames and a resume feeds them into
// a fresh encoder for the same segment (readKeptFrames) instead of rendering them again. FFV1 in
// NUT: BGR0 or planar GBR16 of the engines' packed RGB24/RGB48 (byte shuffles, exact), the source's
// time base kept exactly. Thread contract: one thread uses a writer; readKeptFrames blocks its
// caller.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "fvs/core/frame.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/result.h"

namespace fvs::core::detail {

// Whether frames of this format can be kept (the engines' RGB24 and RGB48).
bool canKeepFrames(AVPixelFormat format);
// spill_NNNNNN.nut: the kept frames of segment `number`.
std::string keptFramesFileName(int64_t segmentNumber);

class KeptFramesWriter {
public:
    // Writes FILE.part; nothing is under FILE until finish().
    static Result<std::unique_ptr<KeptFramesWriter>> open(const std::filesystem::path& file,
                                                          int width, int height,
                                                          AVPixelFormat format,
                                                          AVRational timeBase);
    ~KeptFramesWriter();  // without finish(): removes FILE.part
    KeptFramesWriter(const KeptFramesWriter&) = delete;
    KeptFramesWriter& operator=(const KeptFramesWriter&) = delete;

    Status write(const Frame& frame);
    int64_t frameCount() const { return m_frames; }
    // Flushes, fsyncs FILE.part, renames it to FILE (replacing an older one) and fsyncs the
    // folder. The record has file, frameCount, lastDuration, size and checksum; the caller sets
    // firstFrame.
    Result<KeptFrames> finish();

private:
    KeptFramesWriter() = default;
    Status drain(bool flush);

    std::filesystem::path m_file;
    std::filesystem::path m_part;
    AvOutputFormatPtr m_mux;
    AvCodecContextPtr m_enc;
    AVStream* m_stream = nullptr;
    AvFramePtr m_planar;
    AvPacketPtr m_pkt;
    AVPixelFormat m_format = AV_PIX_FMT_NONE;
    int64_t m_frames = 0;
    int64_t m_lastDuration = 0;
    bool m_done = false;
};

// Reads the kept frames of `record` from `file` in order, as `format` frames whose pts (source
// time base) equal the written ones; the last one gets record.lastDuration. An unreadable file, a
// picture of another size or format or another frame count is an InvalidInput error.
Status readKeptFrames(const std::filesystem::path& file, const KeptFrames& record, int width,
                      int height, AVPixelFormat format, AVRational timeBase,
                      const std::function<Status(Frame)>& onFrame);

}  // namespace fvs::core::detail
