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
    auto parsed = parseJobOptions(o);
    if (!parsed)
        return reportError(parsed.error());
    const auto& [engine, encode, trim, crop, inputs] = parsed.value();
    const int count = static_cast<int>(inputs.size());
    if (!o.output.empty() && count > 1)
        return reportError(
            core::makeError(core::ErrorCode::InvalidArgument, "-o names one output but there are " +
                                                                  std::to_string(count) +
                                                                  " inputs; use --output-dir"));
    if (!o.outputDir.empty()) {
        std::error_code ec;
        if (!fs::is_directory(o.outputDir, ec))
            return reportError(core::makeError(core::ErrorCode::IoError,
                                               "--output-dir is not a folder: " + o.outputDir));
    }
    // Fail fast, before touching any input, when the engine (or its weights) is unavailable.
    auto probeEngine = app::createEngine(engine);
    if (!probeEngine)
        return reportError(probeEngine.error());
    if (o.engine.empty() && o.progress != "json") {
        // Say which engine the default picked: without FlashVSR's weights it is not FlashVSR.
        std::cerr << "flashvsr: engine " << engine.engine
                  << (engine.engine == "flashvsr" ? ""
                      : engine.engine == "realesrgan"
                          ? " (Real-ESRGAN; no FlashVSR weights found, docs/models.md)"
                          : " (no FlashVSR or Real-ESRGAN weights found)")
                  << "\n";
    }

    ProgressPrinter printer(progressModeOf(o));
    int failures = 0;
    int lastCode = kExitOk;
    for (int i = 0; i < count && !stop.stop_requested(); ++i) {
        const fs::path& input = inputs[i];
        auto output = outputPathFor(o, engine, input, count);
        if (!output)
            return reportError(output.error());
        printer.start(input.string(), output->string(), i, count);

        auto processor = i == 0 ? std::move(probeEngine) : app::createEngine(engine);
        core::Result<core::ExportSummary> result = core::makeError(core::ErrorCode::Internal, "");
        if (!processor) {
            result = processor.error();
        } else {
            core::ExportRequest req;
            req.input = input;
            req.output = output.value();
            req.encode = encode;
            req.trim = trim;
            req.crop = crop;
            req.onProgress = [&](const core::ExportProgress& p) { printer.update(p); };
            req.onWarning = [&](const std::string& w) { printer.warning(w); };
            core::ExportPipeline pipeline(req);
            result = pipeline.run(*processor.value(), stop);
        }
        if (result) {
            printer.finish("done", "", kExitOk);
            continue;
        }
        const int code = exitCodeFor(result.error().code);
        printer.finish(result.error().code == core::ErrorCode::Cancelled ? "cancelled" : "failed",
                       result.error().message, code);
        reportError(
            core::makeError(result.error().code, input.string() + ": " + result.error().message));
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
