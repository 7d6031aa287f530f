// flashvsr models download | verify | remove: fetch the official FlashVSR release files with
// resume and verification, re-hash them against the folder's manifest, delete exactly the files
// the manifest lists. Exit codes: docs/cli.md (through exitCodeFor of the core error).
#include "models_download.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "cli_common.h"
#include "fvs/core/model_download.h"
#include "fvs/core/model_manifest.h"
#include "fvs/core/xdg_paths.h"

namespace fvs::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<fs::path> searchPaths() {
    const char* models = std::getenv("FLASHVSR_MODELS");
    return core::modelSearchPaths(models ? models : "", core::appDataDirs());
}

// "2G", "500M", "1.5T", "4096" (bytes); decimal units, an optional trailing B.
core::Result<uint64_t> parseSize(const std::string& text) {
    std::string s = text;
    if (!s.empty() && (s.back() == 'B' || s.back() == 'b'))
        s.pop_back();
    double unit = 1;
    if (!s.empty()) {
        switch (s.back()) {
            case 'k':
            case 'K':
                unit = 1e3;
                break;
            case 'M':
            case 'm':
                unit = 1e6;
                break;
            case 'G':
            case 'g':
                unit = 1e9;
                break;
            case 'T':
            case 't':
                unit = 1e12;
                break;
            case 'P':
            case 'p':
                unit = 1e15;
                break;
            default:
                break;
        }
        if (unit != 1)
            s.pop_back();
    }
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || v * unit > 1e18)
        return core::makeError(
            core::ErrorCode::InvalidArgument,
            "--keep-free must be a size such as 2G, 500M or 4096 (got '" + text + "')");
    return static_cast<uint64_t>(v * unit);
}

const char* phaseName(core::DownloadProgress::Phase phase) {
    switch (phase) {
        case core::DownloadProgress::Phase::Checking:
            return "checking";
        case core::DownloadProgress::Phase::Downloading:
            return "downloading";
        case core::DownloadProgress::Phase::Verifying:
            return "verifying";
        case core::DownloadProgress::Phase::FileDone:
            return "done";
    }
    return "";
}

// Download progress: one updating line on a terminal (stderr), JSON lines on stdout, or a line
// per finished file.
class DownloadPrinter {
public:
    explicit DownloadPrinter(ProgressMode mode) : m_mode(mode) {}

    void json(const nlohmann::json& j) {
        if (!std::cout)
            return;
        std::cout << j.dump() << std::endl;
        if (!std::cout)
            requestStop();  // the reader went away: stop like a signal would
    }

    void plan(const core::ModelDownloadPlan& plan, const fs::path& folder) {
        uint64_t total = 0;
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : plan.files) {
            total += f.sizeBytes;
            files.push_back({{"name", f.name},
                             {"size", f.sizeBytes ? nlohmann::json(f.sizeBytes) : nlohmann::json()},
                             {"url", f.url}});
        }
        if (m_mode == ProgressMode::Json) {
            json({{"event", "plan"},
                  {"version", plan.version},
                  {"repo", plan.repo},
                  {"endpoint", plan.endpoint},
                  {"revision", plan.revision},
                  {"commit", plan.commit},
                  {"folder", folder.string()},
                  {"files", files}});
            return;
        }
        std::cerr << "FlashVSR " << plan.version << ": " << plan.endpoint << "/" << plan.repo
                  << " at '" << plan.revision << "' (commit " << plan.commit.substr(0, 12) << "), "
                  << plan.files.size() << " files, about " << core::humanBytes(total) << "\ninto "
                  << folder.string() << "\n";
    }

    void progress(const core::DownloadProgress& p) {
        using Phase = core::DownloadProgress::Phase;
        if (p.phase == Phase::FileDone) {
            if (m_mode == ProgressMode::Json) {
                json({{"event", "file"},
                      {"file", p.file},
                      {"index", p.fileIndex},
                      {"count", p.fileCount},
                      {"status", p.outcome},
                      {"size", p.fileBytes}});
                return;
            }
            clearLine();
            std::cerr << "  " << (p.outcome == "present" ? "present    " : "verified   ") << p.file
                      << "  " << core::humanBytes(p.fileBytes)
                      << (p.outcome == "resumed" ? " (resumed)" : "") << "\n";
            return;
        }
        const double remaining =
            p.bytesTotal > p.bytesDone ? double(p.bytesTotal - p.bytesDone) : 0.0;
        const double eta = p.bytesPerSecond > 0 ? remaining / p.bytesPerSecond : -1;
        if (m_mode == ProgressMode::Json) {
            const double now =
                std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                    .count();
            // Twice a second at most, and the first line of each file's phase.
            if (p.phase == m_lastPhase && p.fileIndex == m_lastIndex && now - m_lastJson < 0.5)
                return;
            m_lastPhase = p.phase;
            m_lastIndex = p.fileIndex;
            m_lastJson = now;
            json({{"event", "progress"},
                  {"file", p.file},
                  {"index", p.fileIndex},
                  {"count", p.fileCount},
                  {"phase", phaseName(p.phase)},
                  {"bytes", p.fileBytes},
                  {"total", p.fileTotal},
                  {"overall_bytes", p.bytesDone},
                  {"overall_total", p.bytesTotal},
                  {"bytes_per_second", std::round(p.bytesPerSecond)},
                  {"eta", eta < 0 ? nlohmann::json(nullptr) : nlohmann::json(std::round(eta))}});
            return;
        }
        if (m_mode != ProgressMode::Bar)
            return;
        const double ratio =
            p.fileTotal > 0 ? std::clamp(double(p.fileBytes) / double(p.fileTotal), 0.0, 1.0) : 0.0;
        constexpr int kWidth = 24;
        const int filled = static_cast<int>(ratio * kWidth);
        std::string bar(filled, '#');
        bar.append(kWidth - filled, '-');
        char line[512];
        std::snprintf(line, sizeof line, "\r[%d/%d] %-10s %s [%s] %3d%% %s/%s  %s/s  ETA %s ",
                      p.fileIndex + 1, p.fileCount, phaseName(p.phase), p.file.c_str(), bar.c_str(),
                      static_cast<int>(ratio * 100), core::humanBytes(p.fileBytes).c_str(),
                      p.fileTotal ? core::humanBytes(p.fileTotal).c_str() : "?",
                      core::humanBytes(static_cast<uint64_t>(p.bytesPerSecond)).c_str(),
                      formatDuration(eta).c_str());
        std::cerr << line << "\x1b[K" << std::flush;
        m_lineShown = true;
    }

    void warning(const std::string& text) {
        if (m_mode == ProgressMode::Json) {
            json({{"event", "warning"}, {"message", text}});
            return;
        }
        clearLine();
        std::cerr << "flashvsr: warning: " << text << "\n";
    }

    int finish(const core::Status& status, const fs::path& folder) {
        const int code = status ? kExitOk : exitCodeFor(status.error().code);
        const std::string message = status ? std::string() : status.error().message;
        if (m_mode == ProgressMode::Json)
            json({{"event", "end"},
                  {"status", status                                              ? "done"
                             : status.error().code == core::ErrorCode::Cancelled ? "cancelled"
                                                                                 : "failed"},
                  {"folder", folder.string()},
                  {"message", message},
                  {"exitCode", code}});
        clearLine();
        if (!status)
            std::cerr << "flashvsr: error: " << message << "\n";
        return code;
    }

private:
    void clearLine() {
        if (m_lineShown)
            std::cerr << "\r\x1b[K";
        m_lineShown = false;
    }

    ProgressMode m_mode;
    bool m_lineShown = false;
    double m_lastJson = -1;
    core::DownloadProgress::Phase m_lastPhase = core::DownloadProgress::Phase::FileDone;
    int m_lastIndex = -1;
};

int runDownload(const ModelsDownloadArgs& a) {
    const std::stop_token stop = installSignalStop();
    const ProgressMode mode = a.progress == "json"                             ? ProgressMode::Json
                              : a.progress == "none"                           ? ProgressMode::None
                              : a.progress == "bar" || ::isatty(STDERR_FILENO) ? ProgressMode::Bar
                                                                               : ProgressMode::None;
    DownloadPrinter printer(mode);
    core::ModelDownloadOptions o;
    o.version = a.version;
    o.fullDecoder = a.decoder == "full";
    o.endpoint = a.endpoint;
    o.revision = a.revision;
    o.githubRaw = a.githubRaw;
    o.checkFreeSpace = !a.noSpaceCheck;
    o.overwrite = a.overwrite;
    o.retries = a.retries;
    o.stop = stop;
    if (!a.keepFree.empty()) {
        auto size = parseSize(a.keepFree);
        if (!size)
            return printer.finish(size.error(), {});
        o.keepFreeBytes = size.value();
    }
    if (!a.dir.empty()) {
        o.folder = a.dir;
    } else {
        auto folder = core::chooseDownloadFolder(searchPaths(), a.version);
        if (!folder)
            return printer.finish(folder.error(), {});
        o.folder = folder.value();
    }
    auto plan = core::resolveModelDownload(o);
    if (!plan)
        return printer.finish(plan.error(), o.folder);
    printer.plan(plan.value(), o.folder);
    core::ModelDownloadCallbacks callbacks;
    callbacks.onProgress = [&](const core::DownloadProgress& p) { printer.progress(p); };
    callbacks.onWarning = [&](const std::string& text) { printer.warning(text); };
    auto manifest = core::downloadModelFiles(plan.value(), o, callbacks);
    if (!manifest)
        return printer.finish(manifest.error(), o.folder);
    const int code = printer.finish({}, o.folder);
    if (mode != ProgressMode::Json)
        std::cerr << "FlashVSR " << plan->version << " is ready in " << o.folder.string()
                  << " (verified; `flashvsr models check` reads it, `flashvsr models verify` "
                     "re-hashes it)\n";
    return code;
}

// The folders a verify or remove without --dir looks at: the search path's folders that hold a
// manifest (of `version`, when given).
std::vector<fs::path> downloadedFolders(const std::string& version) {
    std::vector<fs::path> out;
    for (const auto& p : searchPaths()) {
        auto m = core::readModelManifest(p);
        if (m && (version.empty() || m->version == version) &&
            std::find(out.begin(), out.end(), p) == out.end())
            out.push_back(p);
    }
    return out;
}

std::string listOf(const std::vector<fs::path>& paths) {
    std::string s;
    for (const auto& p : paths)
        s += "\n  " + p.string();
    return s;
}

int runVerify(const ModelsDownloadArgs& a) {
    const std::stop_token stop = installSignalStop();
    std::vector<fs::path> folders;
    if (!a.dir.empty())
        folders.push_back(a.dir);
    else
        folders = downloadedFolders({});
    if (folders.empty())
        return reportError(core::makeError(
            core::ErrorCode::NotFound,
            "no downloaded FlashVSR model in the model search path (no " +
                std::string(core::kModelManifestFile) + " in any of:" + listOf(searchPaths()) +
                "); pass --dir DIR, or download with `flashvsr models download`"));
    nlohmann::json out = nlohmann::json::array();
    int code = kExitOk;
    for (const auto& folder : folders) {
        auto report = core::verifyModelFolder(
            folder,
            [&](const std::string& name, int i, int n) {
                if (!a.json && ::isatty(STDERR_FILENO))
                    std::cerr << "\r\x1b[Kchecking " << name << " (" << i + 1 << "/" << n << ")"
                              << std::flush;
            },
            stop);
        if (!a.json && ::isatty(STDERR_FILENO))
            std::cerr << "\r\x1b[K" << std::flush;
        if (!report) {
            code = reportError(report.error());
            continue;
        }
        std::vector<std::string> bad;
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : report->files) {
            files.push_back({{"name", f.name}, {"ok", f.ok}, {"problem", f.problem}});
            if (!f.ok)
                bad.push_back(f.name);
        }
        if (a.json) {
            out.push_back({{"folder", folder.string()},
                           {"version", report->manifest.version},
                           {"repo", report->manifest.repo},
                           {"commit", report->manifest.commit},
                           {"ok", report->ok()},
                           {"files", files}});
        } else {
            std::cout << "Folder:  " << folder.string() << "\nVersion: " << report->manifest.version
                      << " (" << report->manifest.repo << " at "
                      << report->manifest.commit.substr(0, 12) << ")\n";
            for (const auto& f : report->files)
                std::cout << "  " << (f.ok ? "ok       " : "BAD      ") << f.name
                          << (f.ok ? "" : "  " + f.problem) << "\n";
        }
        if (!bad.empty()) {
            std::string names;
            for (const auto& n : bad)
                names += (names.empty() ? "" : ", ") + n;
            code = reportError(core::makeError(
                core::ErrorCode::ModelError,
                std::to_string(bad.size()) + " file(s) in " + folder.string() +
                    " failed verification: " + names +
                    "; run `flashvsr models download --version " + report->manifest.version +
                    " --dir " + folder.string() + "` to fetch them again"));
        }
    }
    if (a.json)
        std::cout << out.dump(2) << "\n";
    return code;
}

int runRemove(const ModelsDownloadArgs& a, bool versionGiven) {
    fs::path folder;
    if (!a.dir.empty()) {
        folder = a.dir;
    } else {
        const auto folders = downloadedFolders(versionGiven ? a.version : std::string());
        if (folders.empty())
            return reportError(core::makeError(
                core::ErrorCode::NotFound,
                "no downloaded FlashVSR " + (versionGiven ? a.version + " " : std::string()) +
                    "model in the model search path:" + listOf(searchPaths())));
        if (folders.size() > 1)
            return reportError(
                core::makeError(core::ErrorCode::InvalidArgument,
                                "several downloaded FlashVSR models:" + listOf(folders) +
                                    "\npass --version or --dir to say which to remove"));
        folder = folders.front();
    }
    auto manifest = core::readModelManifest(folder);
    if (!manifest)
        return reportError(manifest.error());
    if (versionGiven && manifest->version != a.version)
        return reportError(core::makeError(
            core::ErrorCode::NotFound,
            folder.string() + " holds FlashVSR " + manifest->version + ", not " + a.version));
    uint64_t bytes = 0;
    int files = 0;
    for (const auto& f : manifest->files) {
        std::error_code ec;
        for (const fs::path& p : {folder / f.name, folder / (f.name + ".part")})
            if (fs::is_regular_file(p, ec)) {
                bytes += fs::file_size(p, ec);
                ++files;
            }
    }
    if (!a.yes) {
        if (!::isatty(STDIN_FILENO))
            return reportError(
                core::makeError(core::ErrorCode::InvalidArgument,
                                "`models remove` deletes " + std::to_string(files) + " files (" +
                                    core::humanBytes(bytes) + ") from " + folder.string() +
                                    "; pass --yes to confirm when not asked on a terminal"));
        std::cerr << "Remove FlashVSR " << manifest->version << " from " << folder.string() << ": "
                  << files << " files, " << core::humanBytes(bytes) << "? [y/N] " << std::flush;
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") {
            std::cerr << "nothing removed\n";
            return kExitCancelled;
        }
    }
    auto removed = core::removeModelFiles(folder);
    if (!removed)
        return reportError(removed.error());
    for (const auto& p : removed.value())
        std::cout << "removed " << p.string() << "\n";
    return kExitOk;
}

}  // namespace

void addModelsDownloadCommands(CLI::App& models, ModelsDownloadArgs& a) {
    a.download = models.add_subcommand(
        "download", "Download the official FlashVSR release files, verified (docs/models.md)");
    auto* d = a.download;
    d->add_option("--version", a.version, "v1.1 (default) or v1")
        ->check(CLI::IsMember({"v1", "v1.1"}));
    d->add_option("--decoder", a.decoder,
                  "tiny (default; TCDecoder.ckpt) or full (also Wan2.1_VAE.pth, 0.5 GB)")
        ->check(CLI::IsMember({"tiny", "full"}));
    d->add_option("--dir", a.dir,
                  "target folder (default: the first writable folder of the model search path)");
    d->add_option("--endpoint", a.endpoint,
                  "Hugging Face endpoint or mirror (default: $HF_ENDPOINT, else "
                  "https://huggingface.co)");
    d->add_option("--revision", a.revision, "branch, tag or commit of the repository (main)");
    d->add_option("--github-raw", a.githubRaw,
                  "where posi_prompt.pth is fetched from (default: $FLASHVSR_GITHUB_RAW, else "
                  "https://raw.githubusercontent.com)");
    d->add_option("--progress", a.progress, "bar, json or none (default: bar on a terminal)")
        ->check(CLI::IsMember({"bar", "json", "none"}));
    d->add_option("--keep-free", a.keepFree,
                  "refuse to start unless this much stays free afterwards (e.g. 10G)");
    d->add_flag("--no-space-check", a.noSpaceCheck,
                "skip the free-space check (file systems that report it wrongly)");
    d->add_flag("--overwrite", a.overwrite,
                "replace files of the same name that are not the release files");
    d->add_option("--retries", a.retries, "further attempts per file after a broken transfer (3)")
        ->check(CLI::Range(0, 20));

    a.verify = models.add_subcommand(
        "verify", "Re-hash downloaded model files against their manifest (flashvsr-download.json)");
    a.verify->add_option("--dir", a.dir,
                         "the folder (default: every downloaded folder of the search path)");
    a.verify->add_flag("--json", a.json, "print the result as JSON");

    a.remove = models.add_subcommand(
        "remove", "Delete the files a download put in a folder (those its manifest lists)");
    a.remove->add_option("--version", a.version, "v1.1 or v1: which download to remove")
        ->check(CLI::IsMember({"v1", "v1.1"}));
    a.remove->add_option("--dir", a.dir, "the folder (default: found on the search path)");
    a.remove->add_flag("-y,--yes", a.yes, "do not ask");
}

int runModelsDownloadCommand(const ModelsDownloadArgs& a) {
    if (a.download && a.download->parsed())
        return runDownload(a);
    if (a.verify && a.verify->parsed())
        return runVerify(a);
    if (a.remove && a.remove->parsed())
        return runRemove(a, a.remove->get_option("--version")->count() > 0);
    return -1;
}

}  // namespace fvs::cli
