// flashvsr upscale IN...: one export per input, in order, with a progress bar or JSON lines.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "engine_factory.h"
#include "fvs/core/export_pipeline.h"
#include "fvs/core/media_source.h"

namespace fvs::cli {

namespace fs = std::filesystem;

namespace {

// --plan: what FlashVSR would do with each input's output size on this device (whole frame or
// tiles, the memory it needs), without loading the weights or writing anything. Exit 8 when an
// input does not fit at all (what the export would fail with), else 0.
int printPlans(const std::vector<core::JobSpec>& jobs, app::Engines& engines, bool json) {
    int code = kExitOk;
    for (const core::JobSpec& job : jobs) {
        auto source = core::MediaSource::open(job.input, {});
        if (!source)
            return reportError(core::makeError(source.error().code,
                                               job.input.string() + ": " + source.error().message));
        core::StreamInfo info = (*source)->info();
        if (!job.crop.empty()) {
            info.width = job.crop.width;
            info.height = job.crop.height;
        }
        auto geometry = core::resolveOutputGeometry(info, job.engine.scale);
        if (!geometry)
            return reportError(geometry.error());
        nlohmann::json j{{"event", "plan"},
                         {"input", job.input.string()},
                         {"engine", core::toString(job.engine.engine)},
                         {"width", geometry->width},
                         {"height", geometry->height}};
        std::string line = job.input.string() + ": " + core::toString(job.engine.engine) + " at " +
                           std::to_string(geometry->width) + "x" +
                           std::to_string(geometry->height) + ": whole frames";
#ifdef FVS_HAVE_TORCH
        if (job.engine.engine == core::EngineKind::FlashVsr) {
            auto folder = engines.modelFolder(job.engine.modelsDir);
            if (!folder)
                return reportError(folder.error());
            auto plan = engines.flashVsr().plan(job.engine, *folder, geometry->width,
                                                geometry->height, info.width, info.height);
            if (!plan)
                return reportError(plan.error());
            nlohmann::json tiles = nlohmann::json::array();
            for (const auto& t : plan->tiles)
                tiles.push_back({{"x", t.x},
                                 {"y", t.y},
                                 {"width", t.width},
                                 {"height", t.height},
                                 {"source",
                                  {{"x", t.sourceX},
                                   {"y", t.sourceY},
                                   {"width", t.sourceWidth},
                                   {"height", t.sourceHeight}}}});
            j["plan"] = gpu::toString(plan->kind);
            j["fits"] = plan->kind != gpu::FlashVsrPlanReport::Kind::TooLarge;
            j["device"] = plan->device;
            j["columns"] = plan->columns;
            j["rows"] = plan->rows;
            j["tileWidth"] = plan->tileWidth;
            j["tileHeight"] = plan->tileHeight;
            j["overlap"] = plan->overlap;
            j["parkIdleTiles"] = plan->parkIdleTiles;
            j["neededBytes"] = plan->neededBytes;
            j["availableBytes"] = plan->availableBytes;
            j["weightBytes"] = plan->weightBytes;
            j["freeBytes"] = plan->freeBytes;
            j["budgetBytes"] = plan->budgetBytes;
            j["runtimeBytes"] = plan->runtimeBytes;
            j["summary"] = plan->summary;
            j["tiles"] = tiles;
            line = job.input.string() + ": " + plan->summary;
            if (plan->kind == gpu::FlashVsrPlanReport::Kind::TooLarge)
                code = kExitInternal;
        }
#else
        (void)engines;
#endif
        if (json)
            std::cout << j.dump() << "\n" << std::flush;
        else
            std::cout << line << "\n";
    }
    return code;
}

}  // namespace

int runUpscale(int argc, char** argv) {
    const std::stop_token stop = installSignalStop();
    CLI::App app{"Upscale video files (several files and folders at once)", "flashvsr upscale"};
    JobOptions o;
    addJobOptions(app, o);
    bool planOnly = false;
    app.add_flag("--plan", planOnly,
                 "print what FlashVSR would do on this device (whole frame or tiles, memory "
                 "needed) and exit without writing anything; JSON with --progress json");
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
    if (planOnly)
        return printPlans(jobs, engines, o.progress == "json");
    const int count = static_cast<int>(jobs.size());
    ProgressPrinter printer(progressModeOf(o));
    for (const auto& notice : parsed->notices)
        printer.warning(notice);
    // Fail fast, before touching any input, when the engine (or its weights) is unavailable.
    auto probeEngine = engines.create(jobs.front().engine);
    if (!probeEngine)
        return reportError(probeEngine.error());
    const core::EngineKind picked = jobs.front().engine.engine;
    if (!o.given("engine") && o.progress != "json") {
        // Say which engine the default picked: without FlashVSR's weights it is not FlashVSR.
        std::cerr << "flashvsr: engine " << core::toString(picked)
                  << (picked == core::EngineKind::FlashVsr ? ""
                      : picked == core::EngineKind::RealEsrgan
                          ? " (Real-ESRGAN; no FlashVSR weights found, docs/models.md)"
                          : " (no FlashVSR or Real-ESRGAN weights found)")
                  << "\n";
    }

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
            printer.finish("done", "", kExitOk, &result.value());
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
