// Model folder recognition: file names, key/shape checks from headers and pickles only, version
// markers. The expected keys are the release layout of flashvsr-spec.md §1.3–1.6.
#include "fvs/gpu/model_files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "fvs/core/model_download.h"
#include "io/tensor_io.h"

namespace fvs::gpu {

namespace {

using Shape = std::vector<int64_t>;
using KeyTable = std::map<std::string, Shape>;

KeyTable ditKeysWithLayers(int layers) {
    KeyTable t;
    const int64_t d = 1536;
    t["patch_embedding.weight"] = {d, 16, 1, 2, 2};
    t["patch_embedding.bias"] = {d};
    t["text_embedding.0.weight"] = {d, 4096};
    t["text_embedding.0.bias"] = {d};
    t["text_embedding.2.weight"] = {d, d};
    t["text_embedding.2.bias"] = {d};
    t["time_embedding.0.weight"] = {d, 256};
    t["time_embedding.0.bias"] = {d};
    t["time_embedding.2.weight"] = {d, d};
    t["time_embedding.2.bias"] = {d};
    t["time_projection.1.weight"] = {6 * d, d};
    t["time_projection.1.bias"] = {6 * d};
    t["head.head.weight"] = {64, d};
    t["head.head.bias"] = {64};
    t["head.modulation"] = {1, 2, d};
    for (int i = 0; i < layers; ++i) {
        const std::string b = "blocks." + std::to_string(i) + ".";
        for (const char* attn : {"self_attn.", "cross_attn."}) {
            for (const char* proj : {"q", "k", "v", "o"}) {
                t[b + attn + proj + ".weight"] = {d, d};
                t[b + attn + proj + ".bias"] = {d};
            }
            t[b + attn + "norm_q.weight"] = {d};
            t[b + attn + "norm_k.weight"] = {d};
        }
        t[b + "norm3.weight"] = {d};
        t[b + "norm3.bias"] = {d};
        t[b + "ffn.0.weight"] = {8960, d};
        t[b + "ffn.0.bias"] = {8960};
        t[b + "ffn.2.weight"] = {d, 8960};
        t[b + "ffn.2.bias"] = {d};
        t[b + "modulation"] = {1, 6, d};
    }
    return t;
}

KeyTable ditKeys() {
    return ditKeysWithLayers(30);
}

KeyTable lqProjKeys() {
    return {{"conv1.weight", {2048, 768, 4, 3, 3}},
            {"conv1.bias", {2048}},
            {"norm1.gamma", {2048, 1, 1, 1}},
            {"conv2.weight", {3072, 2048, 4, 3, 3}},
            {"conv2.bias", {3072}},
            {"norm2.gamma", {3072, 1, 1, 1}},
            {"linear_layers.0.weight", {1536, 3072}},
            {"linear_layers.0.bias", {1536}}};
}

KeyTable tcDecoderKeys() {
    KeyTable t;
    auto conv = [&](int n, Shape w, bool bias) {
        const std::string p = "decoder." + std::to_string(n) + ".";
        if (bias)
            t[p + "bias"] = {w[0]};
        t[p + "weight"] = std::move(w);
    };
    auto memBlock = [&](int n, int64_t c) {
        const std::string p = "decoder." + std::to_string(n) + ".conv.";
        t[p + "0.weight"] = {c, 2 * c, 3, 3};
        t[p + "0.bias"] = {c};
        t[p + "2.weight"] = {c, c, 3, 3};
        t[p + "2.bias"] = {c};
        t[p + "4.weight"] = {c, c, 3, 3};
        t[p + "4.bias"] = {c};
    };
    auto tgrow = [&](int n, int64_t c, int64_t stride) {
        t["decoder." + std::to_string(n) + ".conv.weight"] = {c * stride, c, 1, 1};
    };
    conv(1, {512, 784, 3, 3}, true);
    conv(3, {512, 512, 3, 3}, false);
    for (int n : {5, 6, 7})
        memBlock(n, 512);
    tgrow(9, 512, 1);
    conv(10, {256, 512, 3, 3}, false);
    for (int n : {11, 12, 13})
        memBlock(n, 256);
    tgrow(15, 256, 2);
    conv(16, {128, 256, 3, 3}, false);
    for (int n : {17, 18, 19})
        memBlock(n, 128);
    tgrow(21, 128, 2);
    conv(22, {128, 128, 3, 3}, false);
    conv(24, {128, 128, 3, 3}, false);
    conv(26, {3, 128, 3, 3}, true);
    return t;
}

// Only what the Full decoder uses (decoder.* and conv2.*); the encoder keys in the file are
// ignored.
KeyTable vaeDecoderKeys() {
    KeyTable t;
    auto residual = [&](const std::string& p, int64_t in, int64_t out) {
        t[p + "residual.0.gamma"] = {in, 1, 1, 1};
        t[p + "residual.2.weight"] = {out, in, 3, 3, 3};
        t[p + "residual.2.bias"] = {out};
        t[p + "residual.3.gamma"] = {out, 1, 1, 1};
        t[p + "residual.6.weight"] = {out, out, 3, 3, 3};
        t[p + "residual.6.bias"] = {out};
        if (in != out) {
            t[p + "shortcut.weight"] = {out, in, 1, 1, 1};
            t[p + "shortcut.bias"] = {out};
        }
    };
    auto resample = [&](const std::string& p, int64_t c, bool temporal) {
        t[p + "resample.1.weight"] = {c / 2, c, 3, 3};
        t[p + "resample.1.bias"] = {c / 2};
        if (temporal) {
            t[p + "time_conv.weight"] = {2 * c, c, 3, 1, 1};
            t[p + "time_conv.bias"] = {2 * c};
        }
    };
    t["conv2.weight"] = {16, 16, 1, 1, 1};
    t["conv2.bias"] = {16};
    t["decoder.conv1.weight"] = {384, 16, 3, 3, 3};
    t["decoder.conv1.bias"] = {384};
    residual("decoder.middle.0.", 384, 384);
    t["decoder.middle.1.norm.gamma"] = {384, 1, 1};
    t["decoder.middle.1.to_qkv.weight"] = {1152, 384, 1, 1};
    t["decoder.middle.1.to_qkv.bias"] = {1152};
    t["decoder.middle.1.proj.weight"] = {384, 384, 1, 1};
    t["decoder.middle.1.proj.bias"] = {384};
    residual("decoder.middle.2.", 384, 384);
    const std::string u = "decoder.upsamples.";
    for (int i : {0, 1, 2})
        residual(u + std::to_string(i) + ".", 384, 384);
    resample(u + "3.", 384, true);
    residual(u + "4.", 192, 384);
    for (int i : {5, 6})
        residual(u + std::to_string(i) + ".", 384, 384);
    resample(u + "7.", 384, true);
    for (int i : {8, 9, 10})
        residual(u + std::to_string(i) + ".", 192, 192);
    resample(u + "11.", 192, false);
    for (int i : {12, 13, 14})
        residual(u + std::to_string(i) + ".", 96, 96);
    t["decoder.head.0.gamma"] = {96, 1, 1, 1};
    t["decoder.head.2.weight"] = {3, 96, 3, 3, 3};
    t["decoder.head.2.bias"] = {3};
    return t;
}

std::string humanSize(uint64_t bytes) {
    char buf[32];
    if (bytes >= 1000ull * 1000 * 1000)
        std::snprintf(buf, sizeof buf, "%.2f GB", double(bytes) / 1e9);
    else if (bytes >= 1000ull * 1000)
        std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    return buf;
}

// Compares found keys/shapes with the table. `allowExtra`: the file may hold more (the VAE
// encoder).
std::vector<std::string> compareKeys(const std::map<std::string, Shape>& found,
                                     const KeyTable& expected, bool allowExtra) {
    std::vector<std::string> issues;
    std::vector<std::string> missing, unexpected, wrong;
    for (const auto& [key, shape] : expected) {
        const auto it = found.find(key);
        if (it == found.end())
            missing.push_back(key);
        else if (it->second != shape)
            wrong.push_back(key + " is " + shapeString(it->second) + ", expected " +
                            shapeString(shape));
    }
    if (!allowExtra)
        for (const auto& [key, shape] : found)
            if (!expected.count(key))
                unexpected.push_back(key);
    auto summarize = [&](const char* what, const std::vector<std::string>& keys) {
        if (keys.empty())
            return;
        std::string s = std::to_string(keys.size()) + " " + what + ": ";
        for (size_t i = 0; i < keys.size() && i < 3; ++i)
            s += (i ? ", " : "") + keys[i];
        if (keys.size() > 3)
            s += ", ...";
        issues.push_back(s);
    };
    summarize("missing keys", missing);
    summarize("unexpected keys", unexpected);
    summarize("wrong shapes", wrong);
    return issues;
}

struct FileCheck {
    const char* name;
    bool required;
    enum class Format { SafeTensors, Archive, SingleTensor } format;
    KeyTable (*keys)();
    bool allowExtra;
};

// Fills status.valid/detail; returns the problems found.
// `reducedModel`: the folder holds a reduced test model (flashvsr_config.json, see docs/models.md):
// key names are checked, shapes are left to the engine's strict load, which derives the
// configuration from them.
std::vector<std::string> checkFile(const std::filesystem::path& path, const FileCheck& check,
                                   ModelFileStatus& status, bool reducedModel) {
    std::map<std::string, Shape> found;
    std::set<std::string> dtypes;
    if (check.format == FileCheck::Format::SafeTensors) {
        auto header = readSafeTensorsHeader(path);
        if (!header)
            return {header.error().message};
        for (const auto& [key, e] : *header) {
            found[key] = e.shape;
            dtypes.insert(e.dtype);
        }
    } else {
        ReadOptions options;
        options.prefetch = false;  // views over the mapping are created but no weight page is read
        auto tensors = readTorchArchive(path, options);
        if (!tensors)
            return {tensors.error().message};
        for (const auto& [key, t] : *tensors) {
            found[key] = t.sizes().vec();
            dtypes.insert(c10::toString(t.scalar_type()));
        }
    }
    std::vector<std::string> issues;
    if (check.format == FileCheck::Format::SingleTensor && reducedModel) {
        if (found.size() != 1 || !found.count("") || found.at("").size() != 3 ||
            found.at("")[0] != 1)
            issues.push_back("expected a single prompt tensor (1, L, text_dim)");
    } else if (check.format == FileCheck::Format::SingleTensor) {
        const Shape want = {1, 512, 4096};
        if (found.size() != 1 || !found.count(""))
            issues.push_back("expected a single tensor (1, 512, 4096), found a dict of " +
                             std::to_string(found.size()) + " tensors");
        else if (found.at("") != want)
            issues.push_back("the prompt tensor is " + shapeString(found.at("")) +
                             ", expected (1, 512, 4096)");
    } else {
        KeyTable want = check.keys();
        if (reducedModel) {
            if (check.format == FileCheck::Format::SafeTensors) {
                std::set<std::string> blocks;
                for (const auto& [key, shape] : found)
                    if (key.rfind("blocks.", 0) == 0)
                        blocks.insert(key.substr(0, key.find('.', 7)));
                want = ditKeysWithLayers(static_cast<int>(blocks.size()));
            }
            for (auto& [key, shape] : want)
                if (auto it = found.find(key); it != found.end())
                    shape = it->second;
        }
        issues = compareKeys(found, want, check.allowExtra);
    }
    std::string types;
    for (const auto& d : dtypes) {
        types += (types.empty() ? "" : "/") + d;
        // Weights are floating point in every release file; an integer tensor means another file.
        static const std::set<std::string> floating = {"F32",   "F16",  "BF16",
                                                       "Float", "Half", "BFloat16"};
        if (!floating.count(d))
            issues.push_back("holds " + d + " tensors; the release files hold float weights");
    }
    status.detail = humanSize(status.sizeBytes) + ", " + std::to_string(found.size()) +
                    (found.size() == 1 ? " tensor" : " tensors") +
                    (types.empty() ? "" : ", " + types);
    status.valid = issues.empty();
    for (auto& issue : issues)
        issue = std::string(check.name) + ": " + issue;
    return issues;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// "v1.1" / "v1" named as a word in a short text (a folder name, a title, the marker file), else "".
std::string versionIn(const std::string& text) {
    const std::string s = lower(text);
    auto isWordChar = [&](size_t i) {
        return i < s.size() && std::isalnum(static_cast<unsigned char>(s[i]));
    };
    std::string found;
    for (size_t at = s.find("v1"); at != std::string::npos; at = s.find("v1", at + 1)) {
        if (at > 0 && isWordChar(at - 1))
            continue;  // "dev1" is not a version
        const size_t after = at + 2;
        if (after + 1 < s.size() && (s[after] == '.' || s[after] == '_' || s[after] == '-') &&
            s[after + 1] == '1' && !isWordChar(after + 2))
            return "v1.1";
        if (!isWordChar(after) && (after >= s.size() || s[after] != '.' || !isWordChar(after + 1)))
            found = "v1";
    }
    return found;
}

struct VersionMarker {
    std::string version;
    std::string source;
};

std::vector<VersionMarker> versionMarkers(const std::filesystem::path& folder,
                                          std::vector<std::string>& problems) {
    std::vector<VersionMarker> markers;
    std::error_code ec;
    if (std::ifstream in(folder / kReducedConfigFile); in) {
        const auto config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (config.is_object() && config.contains("version") && config["version"].is_string()) {
            const std::string v = versionIn(config["version"].get<std::string>());
            if (!v.empty())
                markers.push_back({v, kReducedConfigFile});
        }
    }
    if (std::ifstream in(folder / kVersionFile); in) {
        std::string line, content;
        while (std::getline(in, line) && content.empty())
            content = trim(line);
        const std::string c = lower(content);
        const std::string v = (c == "1.1" || c == "v1.1") ? "v1.1"
                              : (c == "1" || c == "v1")   ? "v1"
                                                          : versionIn(c);
        if (v.empty())
            problems.push_back(std::string(kVersionFile) + " says '" + content +
                               "'; write v1 or v1.1");
        else
            markers.push_back({v, kVersionFile});
    }
    // The Hugging Face repositories are named FlashVSR (v1) and FlashVSR-v1.1.
    std::string name = std::filesystem::weakly_canonical(folder, ec).filename().string();
    if (name.empty())
        name = folder.filename().string();
    if (std::string v = versionIn(name); !v.empty())
        markers.push_back({v, "folder name '" + name + "'"});
    else if (lower(name) == "flashvsr")
        markers.push_back({"v1", "folder name '" + name + "' (the v1 repository)"});
    // Only the model card's title counts: the v1 card's news section mentions v1.1 too.
    if (std::ifstream readme(folder / "README.md"); readme) {
        std::string line;
        while (std::getline(readme, line))
            if (line.rfind("# ", 0) == 0) {
                if (std::string v = versionIn(line); !v.empty())
                    markers.push_back({v, "README.md title"});
                break;
            }
    }
    return markers;
}

const std::vector<FileCheck>& fileChecks() {
    static const std::vector<FileCheck> checks = {
        {kDitFile, true, FileCheck::Format::SafeTensors, ditKeys, false},
        {kLqProjFile, true, FileCheck::Format::Archive, lqProjKeys, false},
        {kTcDecoderFile, true, FileCheck::Format::Archive, tcDecoderKeys, false},
        {kPromptFile, true, FileCheck::Format::SingleTensor, nullptr, false},
        {kVaeFile, false, FileCheck::Format::Archive, vaeDecoderKeys, true},
    };
    return checks;
}

}  // namespace

std::vector<std::filesystem::path> modelSearchPaths(
    const std::string& modelsPathList, const std::vector<std::filesystem::path>& appDataDirs) {
    return core::modelSearchPaths(modelsPathList,
                                  appDataDirs);  // one rule for loader and downloader
}

ModelFolderReport checkModelFolder(const std::filesystem::path& folder) {
    ModelFolderReport report;
    report.folder = folder;
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
        report.problems.push_back(folder.string() + " is not a folder");
        for (const auto& check : fileChecks())
            report.files.push_back({check.name, false, check.required, "missing"});
        return report;
    }
    const bool reducedModel = std::filesystem::is_regular_file(folder / kReducedConfigFile, ec);
    bool requiredOk = true;
    bool vaeOk = false;
    for (const auto& check : fileChecks()) {
        ModelFileStatus status;
        status.name = check.name;
        status.required = check.required;
        const auto path = folder / check.name;
        status.present = std::filesystem::is_regular_file(path, ec);
        if (!status.present) {
            status.detail = check.required ? "missing" : "missing (needed only for --decoder full)";
            if (check.required)
                report.problems.push_back(std::string(check.name) + " is missing");
        } else {
            status.sizeBytes = std::filesystem::file_size(path, ec);
            auto issues = checkFile(path, check, status, reducedModel);
            if (!check.required)
                for (auto& issue : issues)
                    issue += " (needed only for --decoder full)";
            report.problems.insert(report.problems.end(), issues.begin(), issues.end());
            if (!status.valid)
                status.detail += status.detail.empty() ? "invalid" : "; invalid";
        }
        if (check.required)
            requiredOk = requiredOk && status.valid;
        else
            vaeOk = status.valid;
        report.files.push_back(std::move(status));
    }

    const size_t problemsBefore = report.problems.size();
    const auto markers = versionMarkers(folder, report.problems);
    const bool markerFileBad = report.problems.size() != problemsBefore;
    bool mixed = false;
    for (const auto& m : markers) {
        if (report.version.empty()) {
            report.version = m.version;
            report.versionSource = m.source;
        } else if (m.version != report.version) {
            mixed = true;
        }
    }
    if (mixed) {
        std::string message = "mixed FlashVSR versions:";
        for (const auto& m : markers)
            message += " " + m.source + " says " + m.version + ";";
        message +=
            " v1 weights need v1 code and v1.1 weights v1.1 code (mixing them causes ghosting). "
            "Keep one "
            "version's files per folder and make the markers agree (fix or remove the wrong one).";
        report.problems.push_back(message);
        report.version.clear();
        report.versionSource.clear();
    }
    report.usable = requiredOk && !mixed && !markerFileBad;
    report.fullDecoderUsable = report.usable && vaeOk;
    return report;
}

core::Result<ModelFolderReport> findModelFolder(
    const std::filesystem::path& explicitDir,
    const std::vector<std::filesystem::path>& searchPaths) {
    const auto folders =
        explicitDir.empty() ? searchPaths : std::vector<std::filesystem::path>{explicitDir};
    std::string searched;
    for (const auto& folder : folders) {
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec)) {
            searched += "\n  " + folder.string() + " (does not exist)";
            continue;
        }
        ModelFolderReport report = checkModelFolder(folder);
        if (report.usable)
            return report;
        searched += "\n  " + folder.string() + ":";
        for (const auto& p : report.problems)
            searched += "\n    - " + p;
    }
    std::string message = "no usable FlashVSR model folder. Needed files: ";
    for (const auto& check : fileChecks())
        message +=
            std::string(check.name) + (check.required ? ", " : " (only for --decoder full); ");
    message += "see docs/models.md.\nFolders searched:" + searched +
               "\nRun `flashvsr models download` to fetch and verify them (about 6 GB), put the "
               "files in one of these folders, pass --models DIR or set FLASHVSR_MODELS, or use "
               "--engine lanczos to upscale without the AI model.";
    return core::makeError(core::ErrorCode::ModelError, message);
}

}  // namespace fvs::gpu
