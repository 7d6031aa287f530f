#include "fvs/core/model_manifest.h"

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "fvs/core/file_hash.h"
#include "fvs/core/file_identity.h"

namespace fvs::core {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kManifestFormat = 1;

bool isHex(const std::string& s, size_t length) {
    return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Error manifestError(const fs::path& file, const std::string& what) {
    return makeError(ErrorCode::InvalidInput, file.string() + ": " + what +
                                                  " (not a manifest this flashvsr wrote; "
                                                  "nothing was changed)");
}

}  // namespace

bool isModelFileName(const std::string& name) {
    static const std::set<std::string> kNames{kModelDitFile, kModelLqProjFile, kModelTcDecoderFile,
                                              kModelVaeFile, kModelPromptFile, kModelVersionFile};
    return kNames.count(name) > 0;
}

const ModelManifestFile* ModelManifest::find(const std::string& name) const {
    for (const auto& f : files)
        if (f.name == name)
            return &f;
    return nullptr;
}

ModelManifestFile* ModelManifest::find(const std::string& name) {
    for (auto& f : files)
        if (f.name == name)
            return &f;
    return nullptr;
}

Result<ModelManifest> readModelManifest(const fs::path& folder) {
    const fs::path file = folder / kModelManifestFile;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!fs::exists(file, ec))
            return makeError(ErrorCode::NotFound,
                             "no " + std::string(kModelManifestFile) + " in " + folder.string() +
                                 " (not a folder `flashvsr models download` filled)");
        return makeError(ErrorCode::IoError, "cannot read " + file.string());
    }
    std::stringstream text;
    text << in.rdbuf();
    const json j = json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return manifestError(file, "not a JSON object");
    ModelManifest m;
    try {
        if (j.at("format").get<int>() != kManifestFormat)
            return manifestError(file, "format " + j.at("format").dump() + " is not 1");
        m.version = j.at("version").get<std::string>();
        m.repo = j.at("repo").get<std::string>();
        m.endpoint = j.at("endpoint").get<std::string>();
        m.revision = j.at("revision").get<std::string>();
        m.commit = j.at("commit").get<std::string>();
        m.promptSource = j.value("prompt_source", std::string());
        m.updated = j.value("updated", std::string());
        for (const auto& f : j.at("files")) {
            ModelManifestFile e;
            e.name = f.at("name").get<std::string>();
            e.sizeBytes = f.at("size").get<uint64_t>();
            e.sha256 = f.at("sha256").get<std::string>();
            e.source = f.value("source", std::string());
            e.complete = f.at("complete").get<bool>();
            if (!isModelFileName(e.name))
                return manifestError(
                    file, "files[] names '" + e.name + "', which is not a FlashVSR model file");
            if (m.find(e.name))
                return manifestError(file, "files[] names '" + e.name + "' twice");
            if (e.complete && !isHex(e.sha256, 64))
                return manifestError(file, "the sha256 of '" + e.name + "' is not 64 hex digits");
            m.files.push_back(std::move(e));
        }
    } catch (const json::exception& e) {
        return manifestError(file, e.what());
    }
    if (m.version != "v1" && m.version != "v1.1")
        return manifestError(file, "version '" + m.version + "' is not v1 or v1.1");
    return m;
}

Status writeModelManifest(const fs::path& folder, const ModelManifest& m) {
    json files = json::array();
    for (const auto& f : m.files)
        files.push_back({{"name", f.name},
                         {"size", f.sizeBytes},
                         {"sha256", f.sha256},
                         {"source", f.source},
                         {"complete", f.complete}});
    const json j{{"format", kManifestFormat},       {"version", m.version},   {"repo", m.repo},
                 {"endpoint", m.endpoint},          {"revision", m.revision}, {"commit", m.commit},
                 {"prompt_source", m.promptSource}, {"updated", m.updated},   {"files", files}};
    const fs::path target = folder / kModelManifestFile;
    const fs::path temp = folder / (std::string(kModelManifestFile) + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << j.dump(2) << "\n";
        out.flush();
        if (!out) {
            const int err = errno;
            std::error_code ec;
            fs::remove(temp, ec);
            return makeError(err == ENOSPC ? ErrorCode::DiskFull : ErrorCode::IoError,
                             "cannot write " + temp.string() + ": " + std::strerror(err));
        }
    }
    if (auto s = syncFileAndFolder(temp); !s)
        return s;
    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec)
        return makeError(ErrorCode::IoError, "cannot rename " + temp.string() + " to " +
                                                 target.string() + ": " + ec.message());
    return syncFolder(folder);
}

bool ModelVerifyReport::ok() const {
    for (const auto& f : files)
        if (!f.ok)
            return false;
    return !files.empty();
}

Result<ModelVerifyReport> verifyModelFolder(
    const fs::path& folder, const std::function<void(const std::string&, int, int)>& onFile,
    std::stop_token stop) {
    auto manifest = readModelManifest(folder);
    if (!manifest)
        return manifest.error();
    ModelVerifyReport report;
    report.folder = folder;
    report.manifest = std::move(manifest.value());
    const int count = static_cast<int>(report.manifest.files.size());
    for (int i = 0; i < count; ++i) {
        const ModelManifestFile& f = report.manifest.files[i];
        if (onFile)
            onFile(f.name, i, count);
        ModelVerifyEntry entry{f.name, false, {}};
        const fs::path path = folder / f.name;
        std::error_code ec;
        if (!f.complete) {
            entry.problem =
                "not downloaded yet (an interrupted download: run `flashvsr models "
                "download` again)";
        } else if (!fs::is_regular_file(path, ec)) {
            entry.problem = "missing";
        } else if (const uint64_t size = fs::file_size(path, ec); size != f.sizeBytes) {
            entry.problem =
                "size " + std::to_string(size) + " bytes, expected " + std::to_string(f.sizeBytes);
        } else {
            auto digest = hashFile(path, HashKind::Sha256, {}, stop);
            if (!digest)
                return digest.error();
            if (digest.value() != f.sha256)
                entry.problem = "SHA-256 " + digest.value() + " differs from the recorded " +
                                f.sha256 + " (the file changed or is damaged)";
            else
                entry.ok = true;
        }
        report.files.push_back(std::move(entry));
    }
    return report;
}

Result<std::vector<fs::path>> removeModelFiles(const fs::path& folder) {
    auto manifest = readModelManifest(folder);
    if (!manifest)
        return manifest.error();
    std::vector<fs::path> removed;
    auto removeOne = [&](const fs::path& path) -> Status {
        std::error_code ec;
        if (fs::is_symlink(path, ec) || fs::is_regular_file(path, ec)) {
            if (!fs::remove(path, ec) || ec)
                return makeError(ErrorCode::IoError,
                                 "cannot remove " + path.string() + ": " + ec.message());
            removed.push_back(path);
        }
        return {};
    };
    for (const auto& f : manifest->files) {
        if (f.complete)
            if (auto s = removeOne(folder / f.name); !s)
                return s.error();
        if (auto s = removeOne(folder / (f.name + ".part")); !s)
            return s.error();
    }
    if (auto s = removeOne(folder / kModelManifestFile); !s)
        return s.error();
    std::error_code ec;
    if (fs::is_empty(folder, ec) && !ec)
        fs::remove(folder, ec);
    return removed;
}

}  // namespace fvs::core
