#include "fvs/core/segment_store.h"

#include <cstdio>
#include <regex>
#include <system_error>

#include "fvs/core/av_ptr.h"
#include "fvs/core/file_identity.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace fvs::core {

namespace fs = std::filesystem;

std::string segmentContainerFor(const std::string& codec) {
    // QuickTime keeps pts and dts exactly (its timescale is the time base's denominator), so it
    // comes first; only MP4 takes AV1. NUT is exact too but drops the negative dts of B-frame
    // streams and cannot carry ProRes: it is kept for FFV1 (intra only), which mov/mp4 refuse.
    // Matroska (pts rounded to 1 ms, no dts) is the last resort.
    const AVCodec* encoder = avcodec_find_encoder_by_name(codec.c_str());
    if (!encoder)
        return "mov";
    for (const char* name : {"mov", "mp4", "nut", "matroska"}) {
        if (encoder->id == AV_CODEC_ID_AV1 && std::string(name) == "mov")
            continue;  // the mov muxer lists AV1 but refuses it when writing the header
        const AVOutputFormat* f = av_guess_format(name, nullptr, nullptr);
        if (f && avformat_query_codec(f, encoder->id, FF_COMPLIANCE_NORMAL) == 1)
            return name;
    }
    return "matroska";
}

std::string segmentFileName(int64_t number, const std::string& container) {
    char name[48];
    std::snprintf(name, sizeof name, "segment_%06lld.%s", static_cast<long long>(number),
                  container == "matroska" ? "mkv" : container.c_str());
    return name;
}

bool isWorkFileName(const std::string& name) {
    static const std::regex pattern(
        R"((segment_[0-9]{6}\.(mov|mp4|nut|mkv)|spill_[0-9]{6}\.nut|joined\.[A-Za-z0-9]{1,8})(\.part)?)");
    return std::regex_match(name, pattern);
}

namespace {

// Video packets in a file, or an error when it cannot be read to the end.
Result<int64_t> countVideoPackets(const fs::path& path) {
    AVFormatContext* raw = nullptr;
    if (int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); err < 0)
        return makeError(ErrorCode::InvalidInput, "cannot be opened (" + avErrorString(err) + ")");
    AvInputFormatPtr fmt(raw);
    if (avformat_find_stream_info(raw, nullptr) < 0)
        return makeError(ErrorCode::InvalidInput, "cannot be read");
    const int video = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (video < 0)
        return makeError(ErrorCode::InvalidInput, "has no video");
    AvPacketPtr pkt = makePacket();
    int64_t count = 0;
    int err = 0;
    while ((err = av_read_frame(raw, pkt.get())) >= 0) {
        count += pkt->stream_index == video;
        av_packet_unref(pkt.get());
    }
    if (err != AVERROR_EOF)
        return makeError(ErrorCode::InvalidInput, "is damaged (" + avErrorString(err) + ")");
    return count;
}

}  // namespace

Status verifySegment(const fs::path& workDir, const SegmentRecord& s) {
    auto bad = [&](const std::string& why) {
        return makeError(ErrorCode::InvalidInput, "segment " + s.file + " " + why);
    };
    if (!isWorkFileName(s.file) || s.file.ends_with(".part"))
        return bad("has a name this program does not write");
    const fs::path path = workDir / s.file;
    std::error_code ec;
    const auto status = fs::symlink_status(path, ec);
    if (ec || !fs::exists(status))
        return bad("is missing");
    if (!fs::is_regular_file(status))
        return bad("is not a plain file");
    const auto size = static_cast<int64_t>(fs::file_size(path, ec));
    if (ec || size == 0)
        return bad("is empty");
    if (s.sizeBytes >= 0 && size != s.sizeBytes)
        return bad("has " + std::to_string(size) + " bytes, " + std::to_string(s.sizeBytes) +
                   " were recorded (truncated or rewritten)");
    if (!s.checksum.empty()) {
        auto sum = checksumFile(path);
        if (!sum)
            return bad("cannot be read: " + sum.error().message);
        if (sum.value() != s.checksum)
            return bad("does not match its recorded checksum");
    }
    auto frames = countVideoPackets(path);
    if (!frames)
        return bad(frames.error().message);
    if (frames.value() != s.frameCount)
        return bad("holds " + std::to_string(frames.value()) + " frames, " +
                   std::to_string(s.frameCount) + " were recorded");
    return {};
}

std::vector<SegmentRecord> usableSegments(const fs::path& workDir,
                                          const std::vector<SegmentRecord>& segments,
                                          const std::function<void(const std::string&)>& warn) {
    std::vector<SegmentRecord> kept;
    int64_t next = 0;
    for (const auto& s : segments) {
        Status st = s.firstFrame != next || s.frameCount <= 0
                        ? Status(makeError(ErrorCode::InvalidInput,
                                           "segment " + s.file + " does not start at frame " +
                                               std::to_string(next)))
                        : verifySegment(workDir, s);
        if (!st) {
            if (warn)
                warn(st.error().message + "; rendering frames " + std::to_string(next) +
                     " onwards again");
            break;
        }
        kept.push_back(s);
        next += s.frameCount;
    }
    return kept;
}

void removeWorkFiles(const fs::path& workDir) {
    std::error_code ec;
    const auto status = fs::symlink_status(workDir, ec);
    if (ec || !fs::is_directory(status))
        return;  // missing, or a link: never followed
    for (const auto& entry : fs::directory_iterator(workDir, ec)) {
        std::error_code e2;
        if (isWorkFileName(entry.path().filename().string()) &&
            !fs::is_directory(entry.symlink_status(e2)))
            fs::remove(entry.path(), e2);
    }
    fs::remove(workDir, ec);  // only when nothing else is left in it
}

}  // namespace fvs::core
