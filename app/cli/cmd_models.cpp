// flashvsr models check [DIR] [--json]: what a model folder holds, its version, what is missing.
// Exit 0 when the folder is usable, 3 (engine unavailable) when not (docs/models.md).
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"

#ifdef FVS_HAVE_TORCH
#ifdef FVS_HAVE_TORCH
#include "engine_factory.h"
#include "fvs/gpu/model_files.h"
#endif
#endif

namespace fvs::cli {

#ifdef FVS_HAVE_TORCH

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

}  // namespace
#endif

int runModels(int argc, char** argv) {
    CLI::App app{"Inspect FlashVSR model folders (docs/models.md)", "flashvsr models"};
    app.require_subcommand(1);
    auto* check = app.add_subcommand(
        "check", "Report the files, the version and what is missing in a model folder");
    std::string dir;
    bool json = false;
    check->add_option("dir", dir,
                      "model folder (default: the first usable folder of the search path)");
    check->add_flag("--json", json, "print the report as JSON");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
#ifdef FVS_HAVE_TORCH
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
    std::cerr << "flashvsr: error: this build has no FlashVSR engine (built without LibTorch)\n";
    return kExitEngine;
#endif
}

#else

int runModels(int, char**) {
    std::cerr << "flashvsr: error: this flashvsr is built without LibTorch: the FlashVSR "
                 "engine and its model tools are not available\n";
    return exitCodeFor(core::ErrorCode::ModelError);
}

#endif
}  // namespace fvs::cli
