#pragma once
// `flashvsr models download | verify | remove` (cmd_models_download.cpp): the model manager's
// commands, in every build (they need no LibTorch). docs/models.md, "Downloading the weights".

#include <CLI/CLI.hpp>

#include <string>

namespace fvs::cli {

struct ModelsDownloadArgs {
    std::string version = "v1.1";
    std::string decoder = "tiny";
    std::string dir;
    std::string endpoint;
    std::string revision = "main";
    std::string githubRaw;
    std::string progress;  // bar|json|none; empty: bar on a terminal
    std::string keepFree;  // a size ("2G")
    bool noSpaceCheck = false;
    bool overwrite = false;
    int retries = 3;
    bool yes = false;
    bool json = false;  // verify --json
    CLI::App* download = nullptr;
    CLI::App* verify = nullptr;
    CLI::App* remove = nullptr;
};

void addModelsDownloadCommands(CLI::App& models, ModelsDownloadArgs& args);
// The parsed command's exit code; -1 when none of the three was given.
int runModelsDownloadCommand(const ModelsDownloadArgs& args);

}  // namespace fvs::cli
