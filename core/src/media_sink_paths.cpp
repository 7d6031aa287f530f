// MediaSink's output-path rules: .part naming, safety checks, the final rename, encoder discovery.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <regex>
#include <system_error>

#include "fvs/core/media_sink.h"
#include "media_sink_detail.h"

namespace fvs::core {
namespace fs = std::filesystem;

namespace detail {

bool isImagePattern(const fs::path& output) {
    static const std::regex pattern("%[0-9]*d");
    return std::regex_search(output.filename().string(), pattern);
}

fs::path imageFileName(const fs::path& pattern, int number) {
    char buf[4096] = {};
    if (av_get_frame_filename(buf, sizeof buf, pattern.c_str(), number) < 0)
        return pattern;
    return fs::path(buf);
}

Result<std::string> muxerFor(const EncodeSettings& settings, const fs::path& output) {
    std::string c = settings.container;
    if (c.empty()) {
        std::string ext = output.extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        if (isImagePattern(output))
            return std::string("image2");
        if (ext == ".mp4" || ext == ".m4v")
            return std::string("mp4");
        if (ext == ".mov")
            return std::string("mov");
        if (ext == ".mkv")
            return std::string("matroska");
        if (ext == ".nut")  // exact time bases: the container for intermediate segments
            return std::string("nut");
        return makeError(ErrorCode::InvalidArgument,
                         "cannot tell the container from '" + output.filename().string() +
                             "': use .mp4, .mov, .mkv or an image pattern like frame_%06d.png");
    }
    if (c == "mkv")
        c = "matroska";
    if (c != "mp4" && c != "mov" && c != "matroska" && c != "nut" && c != "image2") {
        return makeError(
            ErrorCode::InvalidArgument,
            "unsupported container '" + settings.container + "' (mp4, mov, mkv, nut, image2)");
    }
    if (c == "image2" && !isImagePattern(output)) {
        return makeError(
            ErrorCode::InvalidArgument,
            "an image sequence needs a pattern output like frame_%06d.png, got " + output.string());
    }
    return c;
}

fs::path partPathFor(const fs::path& output) {
    if (isImagePattern(output)) {
        // A hidden sibling directory; '%' is kept out of it because the image muxer expands it.
        std::string name = output.filename().string();
        std::replace(name.begin(), name.end(), '%', '_');
        return output.parent_path() / ("." + name + ".part");
    }
    return fs::path(output.string() + ".part");
}

Error writeError(int averror, const fs::path& path, const std::string& what) {
    if (averror == AVERROR(ENOSPC) || averror == AVERROR(EDQUOT)) {
        return makeError(ErrorCode::DiskFull, "disk full while " + what + " " + path.string());
    }
    return makeError(ErrorCode::IoError,
                     what + " " + path.string() + " failed: " + avErrorString(averror));
}

void removePart(const fs::path& part) {
    std::error_code ec;
    // Only an image sequence's own hidden folder is removed recursively; a NAME.part that is a
    // folder is not ours (open() refuses it), so it is never emptied.
    if (fs::is_directory(fs::symlink_status(part, ec)) && part.filename().string().front() == '.') {
        fs::remove_all(part, ec);
    } else if (!fs::is_directory(fs::symlink_status(part, ec))) {
        fs::remove(part, ec);
    }
}

Status commitPart(const fs::path& part, const fs::path& output, bool overwrite) {
    std::error_code ec;
    if (fs::is_directory(part)) {
        // Image sequence: move every finished image next to the pattern, then drop the directory.
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(part, ec))
            files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        const fs::path dir = output.parent_path().empty() ? fs::path(".") : output.parent_path();
        // Check every name first, so a conflict never leaves half the sequence moved.
        if (!overwrite) {
            for (const auto& f : files) {
                if (fs::exists(dir / f.filename()))
                    return makeError(ErrorCode::OutputExists,
                                     "output exists: " + (dir / f.filename()).string());
            }
        }
        for (const auto& f : files) {
            fs::rename(f, dir / f.filename(), ec);
            if (ec)
                return makeError(ErrorCode::IoError,
                                 "cannot rename " + f.string() + ": " + ec.message());
        }
        fs::remove(part, ec);
        return {};
    }
    if (!overwrite && fs::exists(output)) {
        return makeError(ErrorCode::OutputExists, "output exists: " + output.string());
    }
    fs::rename(part, output, ec);
    if (ec)
        return makeError(ErrorCode::IoError,
                         "cannot rename " + part.string() + ": " + ec.message());
    return {};
}

}  // namespace detail

Status checkOutputPath(const fs::path& output, const fs::path& input, bool overwrite) {
    if (output.empty())
        return makeError(ErrorCode::InvalidArgument, "no output file given");
    const bool pattern = detail::isImagePattern(output);
    const fs::path probePath = pattern ? detail::imageFileName(output, 1) : output;
    std::error_code ec;
    if (!input.empty()) {
        // Same file through any name: compare device + inode (symlinks are followed by stat).
        struct stat in {
        }, out{};
        if (::stat(input.c_str(), &in) == 0 && ::stat(probePath.c_str(), &out) == 0 &&
            in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
            return makeError(ErrorCode::OutputIsInput, "output " + output.string() +
                                                           " is the input file " + input.string() +
                                                           ": refusing to overwrite the source");
        }
        if (fs::weakly_canonical(input, ec) == fs::weakly_canonical(probePath, ec)) {
            return makeError(ErrorCode::OutputIsInput,
                             "output is the input file " + input.string());
        }
        // The sink deletes a stale NAME.part before writing: it must never be the source.
        struct stat part {};
        if (::stat(input.c_str(), &in) == 0 &&
            ::stat(detail::partPathFor(output).c_str(), &part) == 0 && in.st_dev == part.st_dev &&
            in.st_ino == part.st_ino) {
            return makeError(ErrorCode::OutputIsInput,
                             "the input " + input.string() +
                                 " is where the output's temporary .part file would go");
        }
    }
    const fs::path dir = output.parent_path().empty() ? fs::path(".") : output.parent_path();
    if (!fs::is_directory(dir, ec)) {
        return makeError(ErrorCode::IoError, "output folder does not exist: " + dir.string());
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        return makeError(ErrorCode::IoError, "output folder is not writable: " + dir.string() +
                                                 " (" + std::strerror(errno) + ")");
    }
    if (fs::is_directory(probePath, ec)) {
        return makeError(ErrorCode::InvalidArgument, "output is a folder: " + probePath.string());
    }
    if (!overwrite && fs::exists(fs::symlink_status(probePath, ec))) {
        return makeError(ErrorCode::OutputExists, "output exists: " + probePath.string() +
                                                      " (use --overwrite to replace it)");
    }
    return {};
}

std::vector<std::string> availableEncoders() {
    static std::once_flag once;
    static std::vector<std::string> found;
    std::call_once(once, [] {
        for (const char* name :
             {"libx264", "libx265", "libsvtav1", "prores_ks", "ffv1", "png", "tiff"}) {
            if (avcodec_find_encoder_by_name(name))
                found.emplace_back(name);
        }
        // NVENC is listed by every FFmpeg build; it is usable only if a driver lets it open.
        for (const char* name : {"h264_nvenc", "hevc_nvenc"}) {
            const AVCodec* codec = avcodec_find_encoder_by_name(name);
            if (!codec)
                continue;
            AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
            if (!ctx)
                continue;
            ctx->width = 256;
            ctx->height = 256;
            ctx->pix_fmt = AV_PIX_FMT_YUV420P;
            ctx->time_base = AVRational{1, 25};
            ctx->framerate = AVRational{25, 1};
            const int prev = av_log_get_level();
            av_log_set_level(AV_LOG_QUIET);  // the failed probe is expected without a GPU
            const int err = avcodec_open2(ctx.get(), codec, nullptr);
            av_log_set_level(prev);
            if (err >= 0)
                found.emplace_back(name);
        }
    });
    return found;
}

}  // namespace fvs::core
