#include "cli_common.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "engine_factory.h"

namespace fvs::cli {

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

int exitCodeFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidArgument:
            return kExitUsage;
        case ErrorCode::NotFound:
        case ErrorCode::InvalidInput:
            return kExitInput;
        case ErrorCode::ModelError:
        case ErrorCode::Unsupported:
            return kExitEngine;
        case ErrorCode::OutputExists:
        case ErrorCode::OutputIsInput:
        case ErrorCode::IoError:
            return kExitOutput;
        case ErrorCode::DiskFull:
            return kExitDiskFull;
        case ErrorCode::Cancelled:
            return kExitCancelled;
        case ErrorCode::OutOfMemory:
        case ErrorCode::Internal:
            return kExitInternal;
    }
    return kExitInternal;
}

int reportError(const core::Error& e) {
    std::cerr << "flashvsr: error: " << e.message << "\n";
    return exitCodeFor(e.code);
}

namespace {

std::stop_source& signalStopSource() {
    static std::stop_source source;
    return source;
}

double monotonicSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string formatDuration(double seconds) {
    if (seconds < 0 || !std::isfinite(seconds))
        return "--:--";
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}

const std::set<std::string> kVideoExtensions{".mp4", ".mov",  ".mkv", ".avi", ".webm", ".m4v",
                                             ".mpg", ".mpeg", ".ts",  ".mts", ".m2ts", ".wmv",
                                             ".flv", ".y4m",  ".mxf", ".3gp", ".ogv"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// "12.5" seconds, "1:02.5" (m:s), "0:01:02.5" (h:m:s) or "150f" (frame number).
core::Result<std::pair<bool, int64_t>> parseTimePoint(const std::string& text, const char* what) {
    static const std::regex frame(R"(^\s*(\d+)\s*f\s*$)");
    static const std::regex clock(R"(^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)\s*$)");
    std::smatch m;
    if (std::regex_match(text, m, frame))
        return std::pair<bool, int64_t>{true, std::stoll(m[1])};
    if (std::regex_match(text, m, clock)) {
        double seconds = std::stod(m[3]);
        if (m[1].matched && m[2].matched)
            seconds += std::stod(m[1]) * 3600 + std::stod(m[2]) * 60;
        else if (m[1].matched)
            seconds += std::stod(m[1]) * 60;
        return std::pair<bool, int64_t>{false, std::llround(seconds * 1e6)};
    }
    return makeError(ErrorCode::InvalidArgument,
                     std::string("invalid ") + what + " '" + text +
                         "': use seconds (12.5), [h:]m:s (1:02.5) or a frame number (150f)");
}

}  // namespace

std::stop_token installSignalStop() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A plain thread waits for the signals, so no work is done in a signal handler.
    std::thread([set] {
        int count = 0;
        while (true) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0)
                continue;
            if (++count > 1) {
                std::fputs("\nflashvsr: interrupted again, exiting now\n", stderr);
                std::_Exit(kExitCancelled);
            }
            std::fputs("\nflashvsr: stopping (press Ctrl+C again to quit at once)\n", stderr);
            signalStopSource().request_stop();
        }
    }).detach();
    return signalStopSource().get_token();
}

void ProgressPrinter::start(const std::string& input, const std::string& output, int index,
                            int count) {
    m_input = input;
    m_output = output;
    m_lastPrint = -1;
    if (m_mode == ProgressMode::Json) {
        nlohmann::json j{{"event", "start"},
                         {"input", input},
                         {"output", output},
                         {"index", index},
                         {"count", count}};
        std::cout << j.dump() << std::endl;
    } else if (m_mode == ProgressMode::Bar) {
        std::cerr << "[" << index + 1 << "/" << count << "] " << input << " -> " << output << "\n";
    }
}

void ProgressPrinter::update(const core::ExportProgress& p) {
    if (m_mode == ProgressMode::None)
        return;
    const double now = monotonicSeconds();
    const bool last = p.framesDone >= p.framesTotal;
    if (!last && m_lastPrint >= 0 && now - m_lastPrint < (m_mode == ProgressMode::Bar ? 0.1 : 0.5))
        return;
    m_lastPrint = now;
    if (m_mode == ProgressMode::Json) {
        nlohmann::json j{{"event", "progress"},
                         {"input", m_input},
                         {"frames", p.framesDone},
                         {"total", p.framesTotal},
                         {"fps", std::round(p.fps * 100) / 100},
                         {"eta", p.etaSeconds < 0 ? nlohmann::json(nullptr)
                                                  : nlohmann::json(std::round(p.etaSeconds))},
                         {"elapsed", std::round(p.elapsedSeconds * 10) / 10}};
        std::cout << j.dump() << std::endl;
        return;
    }
    const double ratio =
        p.framesTotal > 0 ? std::clamp(double(p.framesDone) / p.framesTotal, 0.0, 1.0) : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(ratio * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '-');
    char line[256];
    std::snprintf(line, sizeof line, "\r[%s] %3d%% %lld/%lld frames  %.2f fps  ETA %s ",
                  bar.c_str(), static_cast<int>(ratio * 100), static_cast<long long>(p.framesDone),
                  static_cast<long long>(p.framesTotal), p.fps,
                  formatDuration(p.etaSeconds).c_str());
    std::cerr << line << std::flush;
    m_barShown = true;
}

void ProgressPrinter::finish(const std::string& status, const std::string& message, int exitCode) {
    if (m_mode == ProgressMode::Json) {
        nlohmann::json j{{"event", "end"},   {"input", m_input},   {"output", m_output},
                         {"status", status}, {"message", message}, {"exitCode", exitCode}};
        std::cout << j.dump() << std::endl;
        return;
    }
    if (m_barShown)
        std::cerr << "\n";
    m_barShown = false;
}

void ProgressPrinter::warning(const std::string& text) {
    if (m_mode == ProgressMode::Json) {
        std::cout
            << nlohmann::json{{"event", "warning"}, {"input", m_input}, {"message", text}}.dump()
            << std::endl;
        return;
    }
    if (m_barShown)
        std::cerr << "\n";
    m_barShown = false;
    std::cerr << "flashvsr: warning: " << text << "\n";
}

void addJobOptions(CLI::App& app, JobOptions& o) {
    app.add_option("inputs", o.inputs, "input video files or folders")->required();
    auto* out = app.add_option("-o,--output", o.output, "output file (one input only)");
    auto* dir = app.add_option("--output-dir", o.outputDir, "folder for the outputs");
    out->excludes(dir);
    auto* scale = app.add_option("--scale", o.scale, "scale factor, 1 to 8 (default 4)");
    auto* size = app.add_option("--size", o.size, "target size WxH (or Wx / xH)");
    scale->excludes(size);
    app.add_option("--fit", o.fit, "with --size: fit (inside), fill (cover and crop), exact")
        ->check(CLI::IsMember({"fit", "fill", "exact"}));
    app.add_option("--engine", o.engine,
                   "flashvsr, realesrgan, lanczos or bicubic (default: flashvsr when its weights "
                   "are found, else realesrgan)")
        ->check(CLI::IsMember({"flashvsr", "realesrgan", "lanczos", "bicubic"}));
    app.add_option("--model", o.realesrganModel,
                   "Real-ESRGAN model: animevideov3 (default), x4plus or x4plus-anime")
        ->check(CLI::IsMember({"animevideov3", "x4plus", "x4plus-anime"}));

    app.add_option("--codec", o.codec,
                   "libx264 (default), libx265, libsvtav1, prores_ks, ffv1, png, tiff, "
                   "h264_nvenc, hevc_nvenc");
    app.add_option("--crf", o.crf, "constant quality (x264/x265/svtav1) or QP (nvenc)");
    app.add_option("--bitrate", o.bitrate, "target bitrate, e.g. 8M or 2500k");
    app.add_option("--preset", o.preset, "encoder preset, e.g. ultrafast, medium, p5");
    app.add_option("--pix-fmt", o.pixFmt, "output pixel format, e.g. yuv420p, yuv420p10le");
    app.add_option("--prores-profile", o.proresProfile, "hq (422 HQ) or 4444");
    app.add_option("--start", o.start, "in point: seconds, [h:]m:s or a frame number (150f)");
    app.add_option("--end", o.end, "out point (exclusive), same forms as --start");
    app.add_option("--crop", o.crop, "crop before scaling: WxH+X+Y");
    app.add_flag("--overwrite", o.overwrite, "replace an existing output");
    app.add_option("--models", o.models, "FlashVSR model folder");
    app.add_option("--model-version", o.modelVersion,
                   "FlashVSR weights version (default: detected)")
        ->check(CLI::IsMember({"v1", "v1.1"}));
    app.add_option("--decoder", o.decoder, "tiny (TC decoder, default) or full (Wan 2.1 VAE)")
        ->check(CLI::IsMember({"tiny", "full"}));
    app.add_option("--sparse-ratio", o.sparseRatio, "sparse attention budget (default 2.0)")
        ->check(CLI::Range(0.01, 16.0));
    app.add_option("--kv-ratio", o.kvRatio, "KV-cache length in window groups (default 3.0)")
        ->check(CLI::Range(1.0, 16.0));
    app.add_option("--local-range", o.localRange, "local attention window in blocks (default 11)")
        ->check(CLI::Range(1, 99));
    app.add_option("--color-fix", o.colorFix, "adain (default), wavelet or none")
        ->check(CLI::IsMember({"adain", "wavelet", "none"}));
    app.add_option("--seed", o.seed, "noise seed (default 0)")->check(CLI::NonNegativeNumber);
    app.add_option("--dtype", o.dtype,
                   "bf16 or fp32 (default: bf16 on CUDA, fp32 on CPU); Real-ESRGAN also fp16, "
                   "its CUDA default")
        ->check(CLI::IsMember({"bf16", "fp32", "fp16"}));
    app.add_option("--device", o.device, "cuda, cuda:N or cpu (default: CUDA when available)");
    app.add_option("--progress", o.progress, "bar, json or none (default: bar on a terminal)")
        ->check(CLI::IsMember({"bar", "json", "none"}));
}

core::Result<core::EngineSettings> engineSettingsOf(const JobOptions& o) {
    core::EngineSettings e;
    e.engine = !o.engine.empty()            ? o.engine
               : !o.realesrganModel.empty() ? std::string("realesrgan")
                                            : app::defaultEngine(o.models);
    if (o.dtype == "fp16" && e.engine == "flashvsr")
        return makeError(ErrorCode::InvalidArgument, "FlashVSR runs in bf16 or fp32, not fp16");
    e.modelsDir = o.models;
    e.modelVersion = o.modelVersion;
    if (!o.realesrganModel.empty()) {
        if (e.engine != "realesrgan")
            return makeError(ErrorCode::InvalidArgument, "--model needs --engine realesrgan");
        e.modelVersion = o.realesrganModel;  // the engine's model variant (docs/realesrgan.md)
    }
    if (e.engine == "realesrgan" && !o.modelVersion.empty())
        return makeError(ErrorCode::InvalidArgument,
                         "--model-version is FlashVSR's; Real-ESRGAN takes --model");
    if (!o.decoder.empty())
        e.decoder = o.decoder;
    if (o.sparseRatio > 0)
        e.sparseRatio = o.sparseRatio;
    if (o.kvRatio > 0)
        e.kvRatio = o.kvRatio;
    if (o.localRange > 0)
        e.localRange = o.localRange;
    if (!o.colorFix.empty())
        e.colorFix = o.colorFix;
    if (o.seed >= 0)
        e.seed = o.seed;
    e.dtype = o.dtype;
    e.device = o.device;
    e.scale.factor = o.scale > 0 ? o.scale : 4.0;
    if (o.scale != 0 && !(o.scale >= 1 && o.scale <= 8))
        return makeError(ErrorCode::InvalidArgument, "--scale must be between 1 and 8");
    if (!o.size.empty()) {
        static const std::regex re(R"(^(\d*)x(\d*)$)");
        std::smatch m;
        if (!std::regex_match(o.size, m, re) || (m[1].length() == 0 && m[2].length() == 0) ||
            m[1].length() > 9 || m[2].length() > 9)
            return makeError(ErrorCode::InvalidArgument,
                             "invalid --size '" + o.size + "': use WxH, Wx or xH");
        e.scale.targetWidth = m[1].length() ? std::stoi(m[1]) : 0;
        e.scale.targetHeight = m[2].length() ? std::stoi(m[2]) : 0;
        if ((m[1].length() && e.scale.targetWidth == 0) ||
            (m[2].length() && e.scale.targetHeight == 0))
            return makeError(ErrorCode::InvalidArgument, "--size must be positive");
    }
    e.scale.fit = o.fit == "fill"    ? core::ScaleFit::Fill
                  : o.fit == "exact" ? core::ScaleFit::Exact
                                     : core::ScaleFit::Fit;
    return e;
}

core::Result<ParsedJobOptions> parseJobOptions(const JobOptions& o) {
    auto engine = engineSettingsOf(o);
    if (!engine)
        return engine.error();
    auto encode = encodeSettingsOf(o);
    if (!encode)
        return encode.error();
    auto trim = trimOf(o);
    if (!trim)
        return trim.error();
    auto crop = cropOf(o);
    if (!crop)
        return crop.error();
    auto inputs = collectInputs(o.inputs);
    if (!inputs)
        return inputs.error();
    return ParsedJobOptions{std::move(engine).value(), std::move(encode).value(), trim.value(),
                            crop.value(), std::move(inputs).value()};
}

core::Result<core::EncodeSettings> encodeSettingsOf(const JobOptions& o) {
    core::EncodeSettings s;
    s.codec = o.codec;
    s.crf = o.crf;
    s.preset = o.preset;
    s.pixelFormat = o.pixFmt;
    s.proresProfile = o.proresProfile;
    s.overwrite = o.overwrite;
    if (!o.bitrate.empty()) {
        static const std::regex re(R"(^(\d+(?:\.\d+)?)([kKmMgG]?)$)");
        std::smatch m;
        if (!std::regex_match(o.bitrate, m, re))
            return makeError(ErrorCode::InvalidArgument,
                             "invalid --bitrate '" + o.bitrate + "': use e.g. 8M or 2500k");
        double v = std::stod(m[1]);
        const char unit = m[2].length() ? std::tolower(m[2].str()[0]) : ' ';
        if (unit == 'k')
            v *= 1e3;
        if (unit == 'm')
            v *= 1e6;
        if (unit == 'g')
            v *= 1e9;
        s.bitrate = static_cast<int64_t>(v);
    }
    return s;
}

core::Result<core::TrimRange> trimOf(const JobOptions& o) {
    core::TrimRange t;
    if (!o.start.empty()) {
        auto p = parseTimePoint(o.start, "--start");
        if (!p)
            return p.error();
        (p->first ? t.startFrame : t.startUs) = p->second;
    }
    if (!o.end.empty()) {
        auto p = parseTimePoint(o.end, "--end");
        if (!p)
            return p.error();
        (p->first ? t.endFrame : t.endUs) = p->second;
    }
    if ((t.startFrame >= 0 && t.endUs >= 0) || (t.startUs >= 0 && t.endFrame >= 0))
        return makeError(ErrorCode::InvalidArgument,
                         "--start and --end must both be times or both be frame numbers");
    if ((t.startFrame >= 0 && t.endFrame >= 0 && t.endFrame <= t.startFrame) ||
        (t.startUs >= 0 && t.endUs >= 0 && t.endUs <= t.startUs))
        return makeError(ErrorCode::InvalidArgument, "--end must be after --start");
    return t;
}

core::Result<core::CropRect> cropOf(const JobOptions& o) {
    core::CropRect c;
    if (o.crop.empty())
        return c;
    static const std::regex re(R"(^(\d{1,6})x(\d{1,6})\+(\d{1,6})\+(\d{1,6})$)");
    std::smatch m;
    if (!std::regex_match(o.crop, m, re))
        return makeError(ErrorCode::InvalidArgument,
                         "invalid --crop '" + o.crop + "': use WxH+X+Y");
    c = core::CropRect{std::stoi(m[3]), std::stoi(m[4]), std::stoi(m[1]), std::stoi(m[2])};
    if (c.empty())
        return makeError(ErrorCode::InvalidArgument, "--crop size must be positive");
    return c;
}

ProgressMode progressModeOf(const JobOptions& o) {
    if (o.progress == "json")
        return ProgressMode::Json;
    if (o.progress == "none")
        return ProgressMode::None;
    if (o.progress == "bar")
        return ProgressMode::Bar;
    return ::isatty(STDERR_FILENO) ? ProgressMode::Bar : ProgressMode::None;
}

core::Result<std::vector<fs::path>> collectInputs(const std::vector<std::string>& args) {
    std::vector<fs::path> out;
    for (const auto& a : args) {
        std::error_code ec;
        const fs::path p(a);
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> found;
            for (const auto& e : fs::directory_iterator(p, ec))
                if (e.is_regular_file(ec) &&
                    kVideoExtensions.count(lower(e.path().extension().string())) &&
                    e.path().filename().string().find(".flashvsr-") == std::string::npos)
                    found.push_back(e.path());
            if (found.empty())
                return makeError(ErrorCode::NotFound, "no video files in the folder " + a);
            std::sort(found.begin(), found.end());
            out.insert(out.end(), found.begin(), found.end());
        } else if (!fs::exists(p, ec)) {
            return makeError(ErrorCode::NotFound, "input not found: " + a);
        } else {
            out.push_back(p);
        }
    }
    return out;
}

fs::path defaultOutputPath(const fs::path& input, const core::EngineSettings& engine,
                           const fs::path& outputDir) {
    std::ostringstream tag;
    if (engine.scale.targetWidth > 0 || engine.scale.targetHeight > 0) {
        tag << "flashvsr-";
        if (engine.scale.targetWidth > 0)
            tag << engine.scale.targetWidth;
        tag << "x";
        if (engine.scale.targetHeight > 0)
            tag << engine.scale.targetHeight;
    } else {
        tag << "flashvsr-x" << engine.scale.factor;  // 4 -> "x4", 2.5 -> "x2.5"
    }
    std::string ext = lower(input.extension().string());
    if (ext != ".mp4" && ext != ".mov" && ext != ".mkv")
        ext = ".mkv";
    const fs::path dir = outputDir.empty() ? input.parent_path() : outputDir;
    return dir / (input.stem().string() + "." + tag.str() + ext);
}

core::Result<fs::path> outputPathFor(const JobOptions& o, const core::EngineSettings& engine,
                                     const fs::path& input, int count) {
    if (!o.output.empty()) {
        if (count > 1)
            return makeError(ErrorCode::InvalidArgument, "-o names one output but there are " +
                                                             std::to_string(count) +
                                                             " inputs; use --output-dir");
        return fs::path(o.output);
    }
    return defaultOutputPath(input, engine, o.outputDir);
}

}  // namespace fvs::cli
