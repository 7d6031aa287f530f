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
        R"((segment_[0-9]{6}\.(mov|mp4|nut|mkv)|spill_[0-9]{6}\.nut|joined\.[A-Za-z0-9]{1,8})(\.part)?|segment_[0-9]{6}_([0-9]{6,}|%06d)\.(png|tiff))");
    return std::regex_match(name, pattern);
}

bool writesImages(const std::string& codec) {
    return codec == "png" || codec == "tiff";
}

std::string imageSegmentPattern(int64_t number, const std::string& codec) {
    char name[48];
    std::snprintf(name, sizeof name, "segment_%06lld_%%06d.%s", static_cast<long long>(number),
                  codec == "tiff" ? "tiff" : "png");
    return name;
}

bool isImageSegmentPattern(const std::string& file) {
    static const std::regex pattern(R"(segment_[0-9]{6}_%06d\.(png|tiff))");
    return std::regex_match(file, pattern);
}

std::vector<fs::path> imageSegmentFiles(const fs::path& workDir, const SegmentRecord& s) {
    std::vector<fs::path> files;
    for (int64_t i = 1; i <= s.frameCount; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, s.file.c_str(), static_cast<int>(i));
        files.push_back(workDir / name);
    }
    return files;
}

namespace {

// The hidden folder MediaSink writes an image segment into before moving its images out.
bool isImageSegmentPartFolder(const std::string& name) {
    static const std::regex pattern(R"(\.segment_[0-9]{6}__06d\.(png|tiff)\.part)");
    return std::regex_match(name, pattern);
}

Status verifyImageSegment(const fs::path& workDir, const SegmentRecord& s) {
    auto bad = [&](const std::string& why) {
        return makeError(ErrorCode::InvalidInput, "segment " + s.file + " " + why);
    };
    const auto files = imageSegmentFiles(workDir, s);
    int64_t size = 0;
    for (const auto& f : files) {
        std::error_code ec;
        const auto status = fs::symlink_status(f, ec);
        if (ec || !fs::exists(status))
            return bad("is missing its image " + f.filename().string());
        if (!fs::is_regular_file(status))
            return bad("has " + f.filename().string() + ", which is not a plain file");
        const auto n = static_cast<int64_t>(fs::file_size(f, ec));
        if (ec || n == 0)
            return bad("has an empty image " + f.filename().string());
        size += n;
    }
    if (s.sizeBytes >= 0 && size != s.sizeBytes)
        return bad("has " + std::to_string(size) + " bytes of images, " +
                   std::to_string(s.sizeBytes) + " were recorded (truncated or rewritten)");
    if (!s.checksum.empty()) {
        auto sum = checksumFiles(files);
        if (!sum)
            return bad("cannot be read: " + sum.error().message);
        if (sum.value() != s.checksum)
            return bad("does not match its recorded checksum");
    }
    return {};
}

bool sameBytes(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    if (fs::equivalent(a, b, ec))
        return true;
    if (fs::file_size(a, ec) != fs::file_size(b, ec) || ec)
        return false;
    auto x = checksumFile(a), y = checksumFile(b);
    return x && y && x.value() == y.value();
}

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
    if (isImageSegmentPattern(s.file))
        return verifyImageSegment(workDir, s);
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
        const std::string name = entry.path().filename().string();
        const auto status = entry.symlink_status(e2);
        if (isWorkFileName(name) && !fs::is_directory(status)) {
            fs::remove(entry.path(), e2);
        } else if (isImageSegmentPartFolder(name) && fs::is_directory(status)) {
            // A killed image segment's unfinished images: only those, then the folder.
            for (const auto& image : fs::directory_iterator(entry.path(), e2))
                if (isWorkFileName(image.path().filename().string()) &&
                    fs::is_regular_file(image.symlink_status(e2)))
                    fs::remove(image.path(), e2);
            fs::remove(entry.path(), e2);
        }
    }
    fs::remove(workDir, ec);  // only when nothing else is left in it
}

}  // namespace fvs::core

namespace fvs::core {

Status joinImageSegments(const fs::path& workDir, const std::vector<SegmentRecord>& segments,
                         const fs::path& outputPattern, bool overwrite,
                         const std::function<Status()>& beforeFirstImage,
                         const std::function<void(int64_t)>& onProgress, std::stop_token stop) {
    std::vector<std::pair<fs::path, fs::path>> moves;  // segment image -> output name
    const fs::path dir =
        outputPattern.parent_path().empty() ? fs::path(".") : outputPattern.parent_path();
    for (const auto& s : segments) {
        const auto files = imageSegmentFiles(workDir, s);
        for (size_t i = 0; i < files.size(); ++i) {
            char name[4096];
            const int number = static_cast<int>(s.firstFrame + int64_t(i) + 1);
            if (av_get_frame_filename(name, sizeof name, outputPattern.filename().c_str(), number) <
                0)
                return makeError(
                    ErrorCode::InvalidArgument,
                    "the output pattern " + outputPattern.string() + " has no frame number");
            moves.emplace_back(files[i], dir / name);
        }
    }
    // Every name first, so a conflict never leaves half a sequence in place.
    for (const auto& [from, to] : moves) {
        std::error_code ec;
        if (fs::exists(fs::symlink_status(to, ec)) && !overwrite && !sameBytes(from, to))
            return makeError(ErrorCode::OutputExists, "output exists: " + to.string());
    }
    if (beforeFirstImage)
        if (Status st = beforeFirstImage(); !st)
            return st;
    int64_t done = 0;
    for (const auto& [from, to] : moves) {
        if (stop.stop_requested())
            return makeError(ErrorCode::Cancelled, "join stopped");
        std::error_code ec;
        const bool there = fs::exists(fs::symlink_status(to, ec));
        if (!there || !sameBytes(from, to)) {
            // Linked under a temporary name first: the output name only ever gets a whole image.
            const fs::path tmp = to.string() + ".part";
            fs::remove(tmp, ec);
            fs::create_hard_link(from, tmp, ec);
            if (ec) {
                ec.clear();
                fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
                if (!ec)  // the same identity as the image itself (what a resumed join checks)
                    fs::last_write_time(tmp, fs::last_write_time(from, ec), ec);
                if (!ec)
                    if (Status st = syncFileAndFolder(tmp); !st)
                        return st;
            }
            if (!ec)
                fs::rename(tmp, to, ec);
            if (ec) {
                std::error_code ignored;
                fs::remove(tmp, ignored);
                return makeError(
                    ec == std::errc::no_space_on_device ? ErrorCode::DiskFull : ErrorCode::IoError,
                    "cannot write " + to.string() + ": " + ec.message());
            }
        }
        if (onProgress)
            onProgress(++done);
    }
    return syncFolder(dir);
}

}  // namespace fvs::core
