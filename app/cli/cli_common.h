#pragma once
// Shared pieces of the flashvsr subcommands: exit codes, signal handling, progress output, and
// the options common to `upscale` and `queue add` (from core's option table).

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "engine_factory.h"
#include "fvs/core/engine_settings.h"
#include "fvs/core/export_pipeline.h"
#include "fvs/core/job_queue.h"
#include "fvs/core/job_spec.h"
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
    kExitNetwork = 9,    // no connection, a broken transfer, an unexpected server answer
};

int exitCodeFor(core::ErrorCode code);

// "mm:ss", or "h:mm:ss" from an hour on; "--:--" when unknown (negative or not finite).
std::string formatDuration(double seconds);

// Blocks SIGINT, SIGTERM and SIGHUP in every thread and turns them into a stop request on the
// returned token (a second signal deletes the registered .part file and exits at once with
// kExitCancelled). SIGPIPE is ignored: a closed stdout is seen as a failed write, which stops the
// export too. Call first, before any thread starts.
std::stop_token installSignalStop();
// Requests the same stop as a signal (a reader of our stdout went away).
void requestStop();
// The file a second signal deletes before exiting (empty: none).
void setPartFileForSignal(const std::filesystem::path& part);

enum class ProgressMode { Bar, Json, None };

// Prints progress: a one-line bar on a terminal (stderr), one JSON object per line (stdout), or
// nothing. Bar updates are throttled to 10 per second.
// Where an export's time went (core::StageSeconds) as JSON, in seconds.
nlohmann::json stageSecondsJson(const core::ExportSummary& summary);

class ProgressPrinter {
public:
    explicit ProgressPrinter(ProgressMode mode) : m_mode(mode) {}
    void start(const std::string& input, const std::string& output, int index, int count);
    void update(const core::ExportProgress& p);
    // `summary` (a finished export): its time, frame rate and per-stage seconds go into the JSON
    // "end" event (docs/cli.md).
    void finish(const std::string& status, const std::string& message, int exitCode,
                const core::ExportSummary* summary = nullptr);
    void warning(const std::string& text);

private:
    ProgressMode m_mode;
    std::string m_input, m_output;
    double m_lastPrint = -1;
    bool m_barShown = false;
};

// Options shared by `upscale` and `queue add`: the option table's (fvs/core/option_table.h),
// kept as text until parseJobOptions checks them, plus the CLI's own.
struct JobOptions {
    std::vector<std::string> inputs;
    std::string output;
    std::string outputDir;
    bool overwrite = false;
    bool deinterlace = false;
    std::string options;   // --options key=value,... (engine options)
    std::string progress;  // bar|json|none; empty: bar on a terminal, none otherwise
    std::map<std::string, std::string> values;  // table option name -> text as given
    std::map<std::string, CLI::Option*> flags;  // table option name -> its CLI11 option
    bool given(const std::string& name) const;
};
void addJobOptions(CLI::App& app, JobOptions& o);
ProgressMode progressModeOf(const JobOptions& o);

// Everything `upscale` and `queue add` derive from JobOptions, or the first usage/input error:
// one checked JobSpec per input with its output resolved, and the batch's paths checked (no output
// is an input). `notices` are warnings to print (the engine fallback).
struct ParsedJobOptions {
    std::vector<core::JobSpec> jobs;
    std::vector<std::string> notices;
};
// `engines` gives the default engine when none is chosen.
core::Result<ParsedJobOptions> parseJobOptions(const JobOptions& o, app::Engines& engines);

// Files as given, folders expanded to the video files they hold (sorted, not recursive).
core::Result<std::vector<std::filesystem::path>> collectInputs(
    const std::vector<std::string>& args);
// Prints "flashvsr: error: MESSAGE" to stderr and returns the exit code of the error.
int reportError(const core::Error& e);

}  // namespace fvs::cli
