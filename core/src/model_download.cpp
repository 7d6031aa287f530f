// The model downloader: the hub's model API, the choice of files, the free-space check, resumable
// transfers into NAME.part, verification and the atomic rename, the manifest after each file.
#include "fvs/core/model_download.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "http_client.h"

namespace fvs::core {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

bool isHex(const std::string& s, size_t length) {
    return s.size() == length && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Percent-encodes one URL path segment (a revision such as refs/pr/1, a file name).
std::string escapeSegment(const std::string& s) {
    static const char* kDigits = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kDigits[c >> 4]);
            out.push_back(kDigits[c & 15]);
        }
    }
    return out;
}

Result<std::string> baseUrl(const std::string& url, const char* what) {
    std::string u = url;
    while (!u.empty() && u.back() == '/')
        u.pop_back();
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        return makeError(
            ErrorCode::InvalidArgument,
            std::string(what) + " must be an http:// or https:// URL (got '" + url + "')");
    return u;
}

// Waits `seconds` or until a stop is requested (no polling).
void waitFor(int seconds, std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::seconds(seconds), [] { return false; });
}

// The text answer of `url`, retrying broken transfers and 5xx answers.
Result<std::string> getTextWithRetries(const std::string& url, const ModelDownloadOptions& o,
                                       const std::function<void(const std::string&)>& warn) {
    for (int attempt = 0;; ++attempt) {
        std::string body;
        const auto t = http::getText({url, 32u << 20, o.stop}, body);
        if (t.status)
            return body;
        // A refused connection before anything worked means no network: say so at once.
        const bool retry = t.retryable && t.httpCode != 0 && attempt < o.retries;
        if (!retry)
            return t.status.error();
        if (warn)
            warn(t.status.error().message + "; retrying in " + std::to_string(attempt + 1) + " s");
        waitFor(attempt + 1, o.stop);
        if (o.stop.stop_requested())
            return makeError(ErrorCode::Cancelled, "cancelled");
    }
}

}  // namespace

std::string modelRepoFor(const std::string& version) {
    if (version == "v1.1")
        return "JunhaoZhuang/FlashVSR-v1.1";
    if (version == "v1")
        return "JunhaoZhuang/FlashVSR";
    return {};
}

std::vector<fs::path> modelSearchPaths(const std::string& modelsPathList,
                                       const std::vector<fs::path>& appDataDirs) {
    std::vector<fs::path> paths;
    size_t start = 0;
    while (start <= modelsPathList.size()) {
        const size_t end = std::min(modelsPathList.find(':', start), modelsPathList.size());
        if (end > start)
            paths.emplace_back(modelsPathList.substr(start, end - start));
        start = end + 1;
    }
    for (const auto& dir : appDataDirs)
        paths.push_back(dir / "models");
    return paths;
}

std::string humanBytes(uint64_t bytes) {
    char buf[32];
    if (bytes >= 1000ull * 1000 * 1000)
        std::snprintf(buf, sizeof buf, "%.2f GB", double(bytes) / 1e9);
    else if (bytes >= 1000ull * 1000)
        std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
    else if (bytes >= 1000ull)
        std::snprintf(buf, sizeof buf, "%.1f kB", double(bytes) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    return buf;
}

Result<ModelDownloadPlan> resolveModelDownload(const ModelDownloadOptions& o) {
    ModelDownloadPlan plan;
    plan.version = o.version;
    plan.repo = modelRepoFor(o.version);
    if (plan.repo.empty())
        return makeError(ErrorCode::InvalidArgument,
                         "--version must be v1 or v1.1 (got '" + o.version + "')");
    auto endpoint =
        baseUrl(o.endpoint.empty() ? envOr("HF_ENDPOINT", kDefaultHubEndpoint) : o.endpoint,
                "the Hugging Face endpoint (--endpoint, HF_ENDPOINT)");
    if (!endpoint)
        return endpoint.error();
    auto github =
        baseUrl(o.githubRaw.empty() ? envOr("FLASHVSR_GITHUB_RAW", kDefaultGithubRaw) : o.githubRaw,
                "the GitHub raw file URL (--github-raw, FLASHVSR_GITHUB_RAW)");
    if (!github)
        return github.error();
    if (o.revision.empty())
        return makeError(ErrorCode::InvalidArgument, "--revision must not be empty");
    plan.endpoint = endpoint.value();
    plan.revision = o.revision;

    const std::string api = plan.endpoint + "/api/models/" + plan.repo + "/revision/" +
                            escapeSegment(plan.revision) + "?blobs=true";
    auto body = getTextWithRetries(api, o, {});
    if (!body) {
        Error e = body.error();
        if (e.code == ErrorCode::NotFound)
            e.message = "the Hugging Face repository " + plan.repo + " at revision '" +
                        plan.revision + "' was not found on " + plan.endpoint + " (" + e.message +
                        ")";
        else if (e.code == ErrorCode::NetworkError)
            e.message = "cannot ask the Hugging Face hub for the file list: " + e.message +
                        ". Check the network, the proxy (https_proxy) or pick a mirror with "
                        "--endpoint / HF_ENDPOINT";
        return e;
    }
    const json j = json::parse(body.value(), nullptr, false);
    auto unexpected = [&](const std::string& what) {
        return makeError(ErrorCode::NetworkError, plan.endpoint + " answered the model API with " +
                                                      what + " (is it a Hugging Face hub?)");
    };
    if (j.is_discarded() || !j.is_object())
        return unexpected("something that is not a JSON object");
    if (!j.contains("sha") || !j["sha"].is_string() || !isHex(j["sha"].get<std::string>(), 40))
        return unexpected("no commit hash ('sha')");
    if (!j.contains("siblings") || !j["siblings"].is_array())
        return unexpected("no file list ('siblings')");
    plan.commit = j["sha"].get<std::string>();

    std::vector<std::string> wanted{kModelDitFile, kModelLqProjFile, kModelTcDecoderFile};
    if (o.fullDecoder)
        wanted.push_back(kModelVaeFile);
    for (const auto& name : wanted) {
        const json* entry = nullptr;
        for (const auto& s : j["siblings"])
            if (s.is_object() && s.value("rfilename", std::string()) == name)
                entry = &s;
        if (!entry)
            return makeError(ErrorCode::NotFound, plan.repo + " at " + plan.commit.substr(0, 12) +
                                                      " (revision '" + plan.revision +
                                                      "') has no " + name);
        ModelFileSource f;
        f.name = name;
        f.url =
            plan.endpoint + "/" + plan.repo + "/resolve/" + plan.commit + "/" + escapeSegment(name);
        const json& e = *entry;
        if (e.contains("lfs") && e["lfs"].is_object()) {
            const json& lfs = e["lfs"];
            if (!lfs.contains("sha256") || !lfs["sha256"].is_string() ||
                !isHex(lfs["sha256"].get<std::string>(), 64) || !lfs.contains("size") ||
                !lfs["size"].is_number_unsigned())
                return unexpected("an lfs entry of " + name + " without sha256 and size");
            f.sha256 = lfs["sha256"].get<std::string>();
            f.sizeBytes = lfs["size"].get<uint64_t>();
        } else if (e.contains("blobId") && e["blobId"].is_string() &&
                   isHex(e["blobId"].get<std::string>(), 40) && e.contains("size") &&
                   e["size"].is_number_unsigned()) {
            f.gitBlobSha1 = e["blobId"].get<std::string>();
            f.sizeBytes = e["size"].get<uint64_t>();
        } else {
            return unexpected("no size and hash for " + name);
        }
        plan.files.push_back(std::move(f));
    }
    ModelFileSource prompt;
    prompt.name = kModelPromptFile;
    prompt.url = github.value() + "/" + kPromptRepo + "/" + kPromptCommit + "/" + kPromptPath;
    prompt.gitBlobSha1 = o.promptGitBlob.empty() ? envOr("FLASHVSR_PROMPT_GIT_BLOB", kPromptGitBlob)
                                                 : o.promptGitBlob;
    if (!isHex(prompt.gitBlobSha1, 40))
        return makeError(ErrorCode::InvalidArgument,
                         "the git blob id of posi_prompt.pth must be 40 hex digits (got '" +
                             prompt.gitBlobSha1 + "')");
    plan.files.push_back(std::move(prompt));
    return plan;
}

}  // namespace fvs::core
