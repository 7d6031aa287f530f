// flashvsr models check [DIR] [--json]: what a model folder holds, its version, what is missing.
// Exit 0 when the folder is usable, 3 (engine unavailable) when not (docs/models.md).
// flashvsr models list [--json]: every engine's models and whether their weights are here.
// download, verify and remove: cmd_models_download.cpp (every build).
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"

#include "models_download.h"

#ifdef FVS_HAVE_TORCH
#include <string_view>

#include "engine_factory.h"
#include "fvs/core/model_manifest.h"
#include "fvs/gpu/model_files.h"
#include "fvs/gpu/realesrgan.h"

// The downloader (core) and the loader (gpu) must agree on the release file names.
static_assert(std::string_view(fvs::core::kModelDitFile) == fvs::gpu::kDitFile);
static_assert(std::string_view(fvs::core::kModelLqProjFile) == fvs::gpu::kLqProjFile);
static_assert(std::string_view(fvs::core::kModelTcDecoderFile) == fvs::gpu::kTcDecoderFile);
static_assert(std::string_view(fvs::core::kModelVaeFile) == fvs::gpu::kVaeFile);
static_assert(std::string_view(fvs::core::kModelPromptFile) == fvs::gpu::kPromptFile);
static_assert(std::string_view(fvs::core::kModelVersionFile) == fvs::gpu::kVersionFile);
#endif

namespace fvs::cli {

#ifdef FVS_HAVE_TORCH
namespace {

nlohmann::json toJson(const gpu::ModelFolderReport& report) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : report.files)
        files.push_back({{"name", f.name},
                         {"present", f.present},
                         {"required", f.required},
                         {"valid", f.valid},
                         {"size_bytes", f.sizeBytes},
                         {"detail", f.detail}});
    return {{"folder", report.folder.string()},
            {"version",
             report.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.version)},
            {"version_source", report.versionSource},
            {"usable", report.usable},
            {"full_decoder_usable", report.fullDecoderUsable},
            {"files", files},
            {"problems", report.problems}};
}

void printText(const gpu::ModelFolderReport& report) {
    std::cout << "Folder:  " << report.folder.string() << "\n";
    if (report.version.empty())
        std::cout << "Version: unknown (pass --model-version v1|v1.1, or write v1 or v1.1 into "
                  << gpu::kVersionFile << ")\n";
    else
        std::cout << "Version: " << report.version << " (from " << report.versionSource << ")\n";
    for (const auto& f : report.files) {
        const char* status = f.valid      ? "ok"
                             : !f.present ? (f.required ? "MISSING" : "absent")
                                          : "INVALID";
        std::cout << "  " << status << std::string(9 - std::string(status).size(), ' ') << f.name;
        if (!f.detail.empty())
            std::cout << "  " << f.detail;
        std::cout << "\n";
    }
    if (!report.problems.empty()) {
        std::cout << "Problems:\n";
        for (const auto& p : report.problems)
            std::cout << "  - " << p << "\n";
    }
    if (report.usable)
        std::cout << "Usable: yes (tiny decoder); full decoder: "
                  << (report.fullDecoderUsable ? "yes" : "no") << "\n";
    else
        std::cout << "Usable: no\n";
}

// One row per model: FlashVSR (the first usable folder), each Real-ESRGAN model and scale, and
// the built-in resamplers. Exit 0: listing is not a check.
int listModels(bool json) {
    nlohmann::json rows = nlohmann::json::array();
    auto found = gpu::findModelFolder({}, app::readEngineEnvironment().modelSearchPaths);
    rows.push_back({{"engine", "flashvsr"},
                    {"model", found ? found->version : std::string()},
                    {"installed", static_cast<bool>(found)},
                    {"location", found ? found->folder.string() : std::string()},
                    {"description",
                     "FlashVSR diffusion video super-resolution (best quality; "
                     "needs the release files, docs/models.md)"}});
    for (const auto& f : gpu::locateRealEsrganFiles()) {
        const auto* m = gpu::findRealEsrganModel(f.model);
        rows.push_back(
            {{"engine", "realesrgan"},
             {"model", f.model},
             {"scale", f.scale},
             {"installed", !f.param.empty()},
             {"location", f.param.empty() ? std::string() : f.param.parent_path().string()},
             {"size_bytes", f.sizeBytes},
             {"description", m ? m->description : std::string()}});
    }
    for (const char* e : {"lanczos", "bicubic"})
        rows.push_back({{"engine", e},
                        {"installed", true},
                        {"description", std::string(e) == "lanczos"
                                            ? "Lanczos-3 resampling (no model, instant)"
                                            : "bicubic resampling (no model, instant)"}});
    if (json) {
        std::cout << rows.dump(2) << "\n";
        return kExitOk;
    }
    for (const auto& r : rows) {
        std::string name = r.value("engine", std::string());
        const std::string model = r.value("model", std::string());
        if (!model.empty())
            name += " " + model;
        if (r.contains("scale"))
            name += " x" + std::to_string(r.value("scale", 0));
        const bool installed = r.value("installed", false);
        const std::string location = r.value("location", std::string());
        std::cout << (installed ? "  installed  " : "  missing    ") << name
                  << std::string(name.size() < 28 ? 28 - name.size() : 1, ' ')
                  << r.value("description", std::string()) << "\n";
        if (installed && !location.empty() && r.value("engine", std::string()) == "flashvsr")
            std::cout << "             " << location << "\n";
    }
    std::string where;
    for (const auto& f : gpu::locateRealEsrganFiles())
        if (!f.param.empty()) {
            where = f.param.parent_path().string();
            break;
        }
    std::cout << "Real-ESRGAN weights: "
              << (where.empty() ? std::string("not found (run packaging/setup-deps.sh)") : where)
              << "\n";
    if (!found)
        std::cout << "FlashVSR weights: not found (`flashvsr models download` fetches and "
                     "verifies them)\n";
    return kExitOk;
}

}  // namespace
#endif

int runModels(int argc, char** argv) {
    CLI::App app{"Download, verify, inspect and remove model files (docs/models.md)",
                 "flashvsr models"};
    app.require_subcommand(1);
    auto* check = app.add_subcommand(
        "check", "Report the files, the version and what is missing in a model folder");
    std::string dir;
    bool json = false;
    check->add_option("dir", dir,
                      "model folder (default: the first usable folder of the search path)");
    check->add_flag("--json", json, "print the report as JSON");
    auto* list = app.add_subcommand(
        "list",
        "List every engine's models (FlashVSR, Real-ESRGAN, resamplers) and where they are");
    list->add_flag("--json", json, "print the list as JSON");
    ModelsDownloadArgs download;
    addModelsDownloadCommands(app, download);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    if (const int code = runModelsDownloadCommand(download); code >= 0)
        return code;
#ifdef FVS_HAVE_TORCH
    if (list->parsed())
        return listModels(json);
    gpu::ModelFolderReport report;
    if (dir.empty()) {
        auto found = gpu::findModelFolder({}, app::readEngineEnvironment().modelSearchPaths);
        if (!found) {
            if (json) {
                std::cout
                    << nlohmann::json{{"usable", false}, {"error", found.error().message}}.dump(2)
                    << "\n";
                return kExitEngine;
            }
            return reportError(found.error());
        }
        report = std::move(found.value());
    } else {
        report = gpu::checkModelFolder(dir);
    }
    if (json)
        std::cout << toJson(report).dump(2) << "\n";
    else
        printText(report);
    return report.usable ? kExitOk : kExitEngine;
#else
    std::cerr << "flashvsr: error: this flashvsr is built without LibTorch: `models check` and "
                 "`models list` need the FlashVSR engine (download, verify and remove work)\n";
    return exitCodeFor(core::ErrorCode::ModelError);
#endif
}

}  // namespace fvs::cli
