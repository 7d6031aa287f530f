// flashvsr upscale IN...: one export per input, in order, with a progress bar or JSON lines.
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "engine_factory.h"
#include "fvs/core/export_pipeline.h"

namespace fvs::cli {

namespace fs = std::filesystem;

int runUpscale(int argc, char** argv) {
    const std::stop_token stop = installSignalStop();
    CLI::App app{"Upscale video files (several files and folders at once)", "flashvsr upscale"};
    JobOptions o;
    addJobOptions(app, o);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    // Every option, every input and every output path is checked before anything runs.
    // One Engines for the batch: every file reuses the loaded model.
    app::Engines engines(app::readEngineEnvironment());
    auto parsed = parseJobOptions(o, engines);
    if (!parsed)
        return reportError(parsed.error());
    const auto& jobs = parsed->jobs;
    const int count = static_cast<int>(jobs.size());
    ProgressPrinter printer(progressModeOf(o));
    for (const auto& notice : parsed->notices)
        printer.warning(notice);
    // Fail fast, before touching any input, when the engine (or its weights) is unavailable.
    auto probeEngine = engines.create(jobs.front().engine);
    if (!probeEngine)
        return reportError(probeEngine.error());

    int failures = 0;
    int lastCode = kExitOk;
    for (int i = 0; i < count && !stop.stop_requested(); ++i) {
        const core::JobSpec& job = jobs[i];
        printer.start(job.input.string(), job.output.string(), i, count);

        auto processor = i == 0 ? std::move(probeEngine) : engines.create(job.engine);
        core::Result<core::ExportSummary> result = core::makeError(core::ErrorCode::Internal, "");
        if (!processor) {
            result = processor.error();
        } else {
            core::ExportRequest req;
            req.input = job.input;
            req.output = job.output;
            req.encode = job.encode;
            req.trim = job.trim;
            req.crop = job.crop;
            req.deinterlace = job.deinterlace;
            req.onProgress = [&](const core::ExportProgress& p) { printer.update(p); };
            req.onWarning = [&](const std::string& w) { printer.warning(w); };
            setPartFileForSignal(fs::path(job.output.string() + ".part"));
            core::ExportPipeline pipeline(req);
            result = pipeline.run(*processor.value(), stop);
            setPartFileForSignal({});
        }
        if (result) {
            printer.finish("done", "", kExitOk);
            continue;
        }
        const int code = exitCodeFor(result.error().code);
        printer.finish(result.error().code == core::ErrorCode::Cancelled ? "cancelled" : "failed",
                       result.error().message, code);
        reportError(core::makeError(result.error().code,
                                    job.input.string() + ": " + result.error().message));
        if (result.error().code == core::ErrorCode::Cancelled)
            return kExitCancelled;
        ++failures;
        lastCode = code;
    }
    if (stop.stop_requested())
        return kExitCancelled;
    if (failures == 0)
        return kExitOk;
    return failures == count ? lastCode : kExitPartial;
}

}  // namespace fvs::cli
