#include "cli_common.h"

#include <sys/stat.h>

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "engine_factory.h"
#include "fvs/core/option_table.h"

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
        case ErrorCode::NetworkError:
            return kExitNetwork;
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

std::mutex& partFileMutex() {
    static std::mutex mutex;
    return mutex;
}

std::string& partFile() {
    static std::string path;
    return path;
}

// A JSON line on stdout; a reader that went away (EPIPE) stops the export.
void printJsonLine(const nlohmann::json& j) {
    if (!std::cout)
        return;
    std::cout << j.dump() << std::endl;
    if (!std::cout)
        requestStop();
}

double monotonicSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const std::set<std::string> kVideoExtensions{
    ".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg",  ".mpeg", ".ts",   ".mts",  ".m2ts",
    ".wmv", ".flv", ".y4m", ".mxf", ".3gp",  ".ogv", ".h264", ".264",  ".hevc", ".h265", ".265"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace

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

std::stop_token installSignalStop() {
    // A closed stdout (`--progress json | head -1`) must not kill us mid-write: the failed write
    // is noticed (ProgressPrinter) and ends the export cleanly.
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A plain thread waits for the signals, so no work is done in a signal handler.
    std::thread([set] {
        int count = 0;
        while (true) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0)
                continue;
            if (++count > 1) {
                {
                    const std::lock_guard lock(partFileMutex());
                    if (!partFile().empty())
                        ::unlink(partFile().c_str());
                }
                std::fputs("\nflashvsr: interrupted again, exiting now\n", stderr);
                std::_Exit(kExitCancelled);
            }
            if (sig != SIGHUP)
                std::fputs("\nflashvsr: stopping (press Ctrl+C again to quit at once)\n", stderr);
            signalStopSource().request_stop();
        }
    }).detach();
    return signalStopSource().get_token();
}

void requestStop() {
    signalStopSource().request_stop();
}

void setPartFileForSignal(const fs::path& part) {
    const std::lock_guard lock(partFileMutex());
    partFile() = part.string();
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
        printJsonLine(j);
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
        printJsonLine(j);
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

nlohmann::json stageSecondsJson(const core::ExportSummary& s) {
    auto ms = [](double seconds) { return std::round(seconds * 1e4) / 1e4; };
    return {{"decode", ms(s.stages.decode)},
            {"process", ms(s.stages.process)},
            {"processBlocked", ms(s.stages.processBlocked)},
            {"encode", ms(s.stages.encode)},
            {"encodeStarved", ms(s.stages.encodeStarved)}};
}

void ProgressPrinter::finish(const std::string& status, const std::string& message, int exitCode,
                             const core::ExportSummary* summary) {
    if (m_mode == ProgressMode::Json) {
        nlohmann::json j{{"event", "end"},   {"input", m_input},   {"output", m_output},
                         {"status", status}, {"message", message}, {"exitCode", exitCode}};
        if (summary != nullptr) {
            j["seconds"] = std::round(summary->seconds * 1e4) / 1e4;
            j["framesWritten"] = summary->framesWritten;
            j["fps"] = summary->seconds > 0
                           ? std::round(summary->framesWritten / summary->seconds * 1e3) / 1e3
                           : 0.0;
            j["stageSeconds"] = stageSecondsJson(*summary);
            j["encodeQueueFrames"] = summary->encodeQueueCapacity;
        }
        printJsonLine(j);
        return;
    }
    if (m_barShown)
        std::cerr << "\n";
    m_barShown = false;
}

void ProgressPrinter::warning(const std::string& text) {
    if (m_mode == ProgressMode::Json) {
        printJsonLine({{"event", "warning"}, {"input", m_input}, {"message", text}});
        return;
    }
    if (m_barShown)
        std::cerr << "\n";
    m_barShown = false;
    std::cerr << "flashvsr: warning: " << text << "\n";
}

bool JobOptions::given(const std::string& name) const {
    const auto it = flags.find(name);
    return it != flags.end() && it->second->count() > 0;
}

void addJobOptions(CLI::App& app, JobOptions& o) {
    app.add_option("inputs", o.inputs, "input video files or folders")->required();
    auto* out = app.add_option("-o,--output", o.output, "output file (one input only)");
    auto* dir = app.add_option("--output-dir", o.outputDir, "folder for the outputs");
    out->excludes(dir);
    // The option table gives every engine, encode and job option with its range and default;
    // values are checked by parseJobOptions, with the same messages as the app's.
    for (const auto& spec : core::optionTable()) {
        std::string help = spec.help;
        if (const std::string range = spec.rangeText(); !range.empty())
            help += "; " + range;
        if (!spec.defaultText.empty())
            help += " (default " + spec.defaultText + ")";
        const char* type = spec.type == core::OptionType::Integer  ? "INT"
                           : spec.type == core::OptionType::Number ? "NUMBER"
                           : spec.type == core::OptionType::Choice ? "NAME"
                                                                   : "TEXT";
        o.flags[spec.name] =
            app.add_option("--" + spec.name, o.values[spec.name], help)->type_name(type);
    }
    o.flags["scale"]->excludes(o.flags["size"]);
    app.add_option("--options", o.options,
                   "engine options as key=value,... (the names above, e.g. sparse_ratio=1.5)");
    app.add_flag("--overwrite", o.overwrite, "replace an existing output (never an input)");
    app.add_flag("--deinterlace", o.deinterlace,
                 "deinterlace the source (bwdif, one frame per frame) before upscaling");
    app.add_option("--progress", o.progress, "bar, json or none (default: bar on a terminal)")
        ->check(CLI::IsMember({"bar", "json", "none"}));
}

core::Result<ParsedJobOptions> parseJobOptions(const JobOptions& o, app::Engines& engines) {
    core::EngineSettings engine;
    core::EncodeSettings encode;
    core::TrimRange trim;
    core::CropRect crop;
    for (const auto& spec : core::optionTable()) {
        if (!o.given(spec.name))
            continue;
        const std::string& value = o.values.at(spec.name);
        core::Status st;
        switch (spec.group) {
            case core::OptionGroup::Engine:
                st = core::setEngineOption(engine, spec.name, value);
                break;
            case core::OptionGroup::Encode:
                st = core::setEncodeOption(encode, spec.name, value);
                break;
            case core::OptionGroup::Job:
                if (spec.name == "size") {
                    st = core::setScaleSize(engine.scale, value);
                } else if (spec.name == "fit") {
                    st = core::checkOptionValue(spec, value);
                    engine.scale.fit = value == "fill"    ? core::ScaleFit::Fill
                                       : value == "exact" ? core::ScaleFit::Exact
                                                          : core::ScaleFit::Fit;
                } else if (spec.name == "crop") {
                    st = core::setCrop(crop, value);
                } else {
                    st = core::setTrimPoint(trim, spec.name, value);
                }
                break;
        }
        if (!st)
            return st.error();
    }
    if (auto st = core::applyEngineOptions(engine, o.options); !st)
        return st.error();
    encode.overwrite = o.overwrite;

    ParsedJobOptions parsed;
    const bool engineChosen = o.given("engine") || o.options.find("engine=") != std::string::npos;
    if (!engineChosen && o.given("model")) {
        engine.engine = core::EngineKind::RealEsrgan;  // --model names a Real-ESRGAN model
    } else if (!engineChosen) {
        // The default of the CLI, the app and the queue: FlashVSR when its weights are found,
        // else Real-ESRGAN when installed, else Lanczos.
        engine.engine = engines.defaultEngine(engine.modelsDir);
        const auto built = app::availableEngines();
        const bool hasFlashVsr = std::find(built.begin(), built.end(), "flashvsr") != built.end();
        if (engine.engine != core::EngineKind::FlashVsr)
            parsed.notices.push_back(
                std::string(hasFlashVsr ? "FlashVSR weights were not found "
                                          "(see flashvsr models check)"
                                        : "this build has no FlashVSR engine") +
                "; using " + core::toString(engine.engine) + " (pass --engine to choose)");
    }
    if (auto st = core::validateTrim(trim); !st)
        return st.error();

    if (o.output == "-")
        return makeError(ErrorCode::IoError,
                         "writing the video to stdout ('-o -') is not supported: flashvsr writes "
                         "NAME.part and renames it when complete; give a file name");
    auto inputs = collectInputs(o.inputs);
    if (!inputs)
        return inputs.error();
    const int count = static_cast<int>(inputs->size());
    if (!o.output.empty() && count > 1)
        return makeError(ErrorCode::InvalidArgument, "-o names one output but there are " +
                                                         std::to_string(count) +
                                                         " inputs; use --output-dir");
    if (!o.outputDir.empty()) {
        std::error_code ec;
        if (!fs::is_directory(o.outputDir, ec))
            return makeError(ErrorCode::IoError, "--output-dir is not a folder: " + o.outputDir);
    }
    for (const auto& input : inputs.value()) {
        core::JobSpec job;
        job.input = input;
        job.engine = engine;
        job.encode = encode;
        job.trim = trim;
        job.crop = crop;
        job.deinterlace = o.deinterlace;
        if (!o.output.empty()) {
            job.output = o.output;
        } else {
            core::OutputNaming naming;
            naming.folder = o.outputDir;
            job.output = core::resolveOutputPath(input, engine, naming);
        }
        if (auto st = job.validate(); !st)
            return st.error();
        parsed.jobs.push_back(std::move(job));
    }
    if (auto st = core::checkBatchPaths(parsed.jobs); !st)
        return st.error();
    return parsed;
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
        if (a == "-")
            return makeError(ErrorCode::InvalidInput,
                             "reading a video from stdin ('-') is not supported: flashvsr reads "
                             "its input more than once; save it to a file first");
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

}  // namespace fvs::cli
