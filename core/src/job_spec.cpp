#include "fvs/core/job_spec.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sstream>

#include "fvs/core/option_table.h"

namespace fvs::core {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string today() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d", &local);
    return buf;
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

bool existsOrPart(const fs::path& p, bool imageSequence) {
    std::error_code ec;
    fs::path probe = p;
    if (imageSequence) {
        std::string s = p.string();
        replaceAll(s, "%06d", "000000");
        probe = s;
    }
    return fs::exists(fs::symlink_status(probe, ec)) ||
           fs::exists(fs::symlink_status(fs::path(probe.string() + ".part"), ec));
}

}  // namespace

std::string scaleToken(const ScaleRequest& scale) {
    std::ostringstream tag;
    if (scale.targetWidth > 0 || scale.targetHeight > 0) {
        if (scale.targetWidth > 0)
            tag << scale.targetWidth;
        tag << "x";
        if (scale.targetHeight > 0)
            tag << scale.targetHeight;
    } else {
        tag << "x" << scale.factor;  // 4 -> "x4", 2.5 -> "x2.5"
    }
    return tag.str();
}

bool sameFile(const fs::path& a, const fs::path& b) {
    struct stat sa {
    }, sb{};
    if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    std::error_code ec1, ec2;
    const fs::path ca = fs::weakly_canonical(fs::absolute(a), ec1);
    const fs::path cb = fs::weakly_canonical(fs::absolute(b), ec2);
    return !ec1 && !ec2 && ca == cb;
}

fs::path resolveOutputPath(const fs::path& input, const EngineSettings& engine,
                           const OutputNaming& naming) {
    return expandOutputPattern(input,
                               OutputTokens{toString(engine.engine), scaleToken(engine.scale),
                                            naming.preset.empty() ? "custom" : naming.preset},
                               naming);
}

fs::path expandOutputPattern(const fs::path& input, const OutputTokens& tokens,
                             const OutputNaming& naming) {
    std::string extension = lower(naming.extension);
    if (extension.empty()) {
        extension = lower(input.extension().string());
        if (!extension.empty())
            extension.erase(0, 1);
        if (extension != "mp4" && extension != "mov" && extension != "mkv")
            extension = "mkv";
    }
    const bool imageSequence = extension == "png" || extension == "tiff";
    std::string name = naming.pattern.empty() ? kDefaultOutputPattern : naming.pattern;
    auto token = [](std::string value) {
        std::replace(value.begin(), value.end(), '/', '_');
        return value;
    };
    replaceAll(name, "{name}", token(input.stem().string()));
    replaceAll(name, "{engine}", token(tokens.engine));
    replaceAll(name, "{scale}", token(tokens.scale));
    replaceAll(name, "{preset}", token(tokens.preset));
    replaceAll(name, "{date}", today());
    // Path separators must not move the output elsewhere.
    std::replace(name.begin(), name.end(), '/', '_');
    const fs::path dir = naming.folder.empty() ? input.parent_path() : naming.folder;
    const std::string suffix = (imageSequence ? "_%06d." : ".") + extension;
    for (int n = 1;; ++n) {
        const std::string base = n == 1 ? name : name + " (" + std::to_string(n) + ")";
        const fs::path candidate = dir / (base + suffix);
        if (sameFile(candidate, input))
            continue;
        if (naming.collision == OutputCollision::Keep)
            return candidate;
        if (existsOrPart(candidate, imageSequence))
            continue;
        const bool taken = std::any_of(naming.taken.begin(), naming.taken.end(),
                                       [&](const fs::path& t) { return sameFile(t, candidate); });
        if (!taken)
            return candidate;
    }
}

Status JobSpec::validate() const {
    if (Status st = validateEngineSettings(engine); !st)
        return st;
    if (Status st = validateEncodeSettings(encode); !st)
        return st;
    if (Status st = validateTrim(trim); !st)
        return st;
    if (!output.empty() && sameFile(output, input))
        return makeError(ErrorCode::OutputIsInput, "output " + output.string() +
                                                       " is the input file " + input.string() +
                                                       ": refusing to overwrite the source");
    return {};
}

Status JobSpec::validateAgainst(const StreamInfo& source) const {
    const int64_t count = source.frameCount;
    if (source.frameCountExact && count > 0) {
        if (trim.startFrame >= count)
            return makeError(ErrorCode::InvalidArgument,
                             "--start frame " + std::to_string(trim.startFrame) +
                                 " is past the last frame of " + input.string() + " (" +
                                 std::to_string(count - 1) + ")");
    }
    if (source.durationUs > 0 && trim.startUs >= source.durationUs)
        return makeError(ErrorCode::InvalidArgument,
                         "--start " + std::to_string(trim.startUs / 1e6) +
                             " s is past the end of " + input.string() + " (" +
                             std::to_string(source.durationUs / 1e6) + " s)");
    if (!crop.empty() && source.width > 0 &&
        (crop.x < 0 || crop.y < 0 || int64_t(crop.x) + crop.width > source.width ||
         int64_t(crop.y) + crop.height > source.height))
        return makeError(
            ErrorCode::InvalidArgument,
            "--crop " + std::to_string(crop.width) + "x" + std::to_string(crop.height) + "+" +
                std::to_string(crop.x) + "+" + std::to_string(crop.y) + " does not fit the " +
                std::to_string(source.width) + "x" + std::to_string(source.height) + " picture");
    return {};
}

Job JobSpec::toQueueJob(int segmentFrames) const {
    Job job;
    job.input = fs::absolute(input).string();
    job.output = fs::absolute(output).string();
    job.engine = engine;
    job.encode = encode;
    job.trim = trim;
    job.crop = crop;
    job.deinterlace = deinterlace;
    job.segmentFrames = segmentFrames;
    return job;
}

Status checkBatchPaths(const std::vector<JobSpec>& jobs) {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        for (const auto& other : jobs)
            if (sameFile(jobs[i].output, other.input))
                return makeError(ErrorCode::OutputIsInput,
                                 "output " + jobs[i].output.string() + " of " +
                                     jobs[i].input.string() + " is the input " +
                                     other.input.string() +
                                     ": refusing to overwrite an input (nothing was written)");
        for (std::size_t k = 0; k < i; ++k)
            if (sameFile(jobs[i].output, jobs[k].output))
                return makeError(ErrorCode::InvalidArgument,
                                 jobs[k].input.string() + " and " + jobs[i].input.string() +
                                     " would both be written to " + jobs[i].output.string());
    }
    return {};
}

}  // namespace fvs::core
