#pragma once
// Shared pieces of the flashvsr subcommands: exit codes, SIGINT handling, progress output, the
// options common to `upscale` and `queue add`, and input/output naming.

#include <CLI/CLI.hpp>

#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include "fvs/core/engine_settings.h"
#include "fvs/core/export_pipeline.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/media_sink.h"
#include "fvs/core/result.h"

namespace fvs::cli {

// Documented in docs/cli.md.
enum ExitCode : int {
    kExitOk = 0,
    kExitUsage = 1,      // bad option or value
    kExitInput = 2,      // missing / unreadable / not a video input
    kExitEngine = 3,     // engine or model weights unavailable
    kExitOutput = 4,     // output exists, is the input, cannot be written
    kExitDiskFull = 5,   // no space left on the output device
    kExitCancelled = 6,  // SIGINT / SIGTERM
    kExitPartial = 7,    // a batch where some inputs failed and others did not
    kExitInternal = 8,   // a bug or out of memory
};

int exitCodeFor(core::ErrorCode code);

// Blocks SIGINT/SIGTERM in every thread and turns them into a stop request on the returned
// token (a second signal exits at once with kExitCancelled). Call first, before any thread starts.
std::stop_token installSignalStop();

enum class ProgressMode { Bar, Json, None };

// Prints progress: a one-line bar on a terminal (stderr), one JSON object per line (stdout), or
// nothing. Bar updates are throttled to 10 per second.
class ProgressPrinter {
public:
    explicit ProgressPrinter(ProgressMode mode) : m_mode(mode) {}
    void start(const std::string& input, const std::string& output, int index, int count);
    void update(const core::ExportProgress& p);
    void finish(const std::string& status, const std::string& message, int exitCode);
    void warning(const std::string& text);

private:
    ProgressMode m_mode;
    std::string m_input, m_output;
    double m_lastPrint = -1;
    bool m_barShown = false;
};

// Options shared by `upscale` and `queue add`.
struct JobOptions {
    std::vector<std::string> inputs;
    std::string output;
    std::string outputDir;
    double scale = 0;  // 0: not given (4 by default)
    std::string size;  // WxH, Wx or xH
    std::string fit = "fit";
    std::string engine;  // empty: app::defaultEngine (FlashVSR, else Real-ESRGAN, else Lanczos)
    std::string codec = "libx264";
    int crf = -1;
    std::string bitrate;
    std::string preset;
    std::string pixFmt;
    std::string proresProfile;
    std::string start;
    std::string end;
    std::string crop;  // WxH+X+Y
    bool overwrite = false;
    std::string models;
    // FlashVSR model options (EngineSettings; empty/negative: the engine's defaults).
    std::string modelVersion;  // v1 | v1.1
    std::string decoder;       // tiny | full
    double sparseRatio = -1;
    double kvRatio = -1;
    int localRange = -1;
    std::string colorFix;  // adain | wavelet | none
    long long seed = -1;
    std::string dtype;            // bf16 | fp32 | fp16 (Real-ESRGAN on CUDA)
    std::string realesrganModel;  // animevideov3 | x4plus | x4plus-anime
    std::string device;           // cuda | cuda:N | cpu
    std::string progress;         // bar|json|none; empty: bar on a terminal, none otherwise
};
void addJobOptions(CLI::App& app, JobOptions& o);

// Turns the parsed options into settings; usage errors come back as InvalidArgument.
core::Result<core::EngineSettings> engineSettingsOf(const JobOptions& o);
core::Result<core::EncodeSettings> encodeSettingsOf(const JobOptions& o);
core::Result<core::TrimRange> trimOf(const JobOptions& o);
core::Result<core::CropRect> cropOf(const JobOptions& o);
ProgressMode progressModeOf(const JobOptions& o);

// Everything `upscale` and `queue add` derive from JobOptions, or the first usage/input error.
struct ParsedJobOptions {
    core::EngineSettings engine;
    core::EncodeSettings encode;
    core::TrimRange trim;
    core::CropRect crop;
    std::vector<std::filesystem::path> inputs;
};
core::Result<ParsedJobOptions> parseJobOptions(const JobOptions& o);

// Files as given, folders expanded to the video files they hold (sorted, not recursive).
core::Result<std::vector<std::filesystem::path>> collectInputs(
    const std::vector<std::string>& args);
// NAME.flashvsr-x4.EXT (x2 for --scale 2, -1920x1080 for --size) beside the input or in outputDir.
std::filesystem::path defaultOutputPath(const std::filesystem::path& input,
                                        const core::EngineSettings& engine,
                                        const std::filesystem::path& outputDir);
// Resolves -o / --output-dir / the default for input number `index` of `count`.
core::Result<std::filesystem::path> outputPathFor(const JobOptions& o,
                                                  const core::EngineSettings& engine,
                                                  const std::filesystem::path& input, int count);

// Prints "flashvsr: error: MESSAGE" to stderr and returns the exit code of the error.
int reportError(const core::Error& e);

}  // namespace fvs::cli
