#include "http_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

namespace fvs::core::http {

namespace {

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

CurlPtr newHandle() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    return CurlPtr(curl_easy_init());
}

// The host of a URL, for messages ("cannot connect to huggingface.co").
std::string hostOf(const std::string& url) {
    const size_t start = url.find("://");
    const size_t from = start == std::string::npos ? 0 : start + 3;
    return url.substr(from, url.find('/', from) - from);
}

struct Common {
    char errorBuffer[CURL_ERROR_SIZE] = {};
    std::stop_token stop;
};

int onXferInfo(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    // Called at least once a second, also while nothing arrives: a stop is noticed promptly.
    return static_cast<Common*>(user)->stop.stop_requested() ? 1 : 0;
}

void setCommonOptions(CURL* curl, const std::string& url, Common& common) {
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, common.errorBuffer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    // 4xx/5xx fail the transfer before any body reaches our callbacks.
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "flashvsr/" FVS_VERSION);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    // A transfer below 1 byte/s for 60 s is stalled: give up (and retry, resuming).
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onXferInfo);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &common);
}

TransferStatus classify(CURLcode rc, CURL* curl, const std::string& url, const Common& common) {
    TransferStatus out;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.httpCode);
    const std::string detail = common.errorBuffer[0] ? common.errorBuffer : curl_easy_strerror(rc);
    auto fail = [&](ErrorCode code, std::string message, bool retryable) {
        out.status = makeError(code, std::move(message));
        out.retryable = retryable;
        return out;
    };
    switch (rc) {
        case CURLE_OK:
            return out;
        case CURLE_ABORTED_BY_CALLBACK:
            return fail(ErrorCode::Cancelled, "cancelled", false);
        case CURLE_HTTP_RETURNED_ERROR: {
            const long code = out.httpCode;
            const std::string what = url + " answered HTTP " + std::to_string(code);
            // The hub answers 401 for a repository that does not exist (or is private).
            if (code == 404 || code == 401 || code == 410)
                return fail(ErrorCode::NotFound, what + " (not found)", false);
            return fail(ErrorCode::NetworkError, what, code >= 500 || code == 429 || code == 408);
        }
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return fail(ErrorCode::NetworkError,
                        "cannot resolve " + hostOf(url) + " (" + detail +
                            "): no network, or a proxy is needed (https_proxy)",
                        false);
        case CURLE_COULDNT_CONNECT:
            return fail(ErrorCode::NetworkError,
                        "cannot connect to " + hostOf(url) + " (" + detail + ")", true);
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return fail(ErrorCode::NetworkError,
                        "the transfer from " + hostOf(url) + " broke off (" + detail + ")", true);
        default:
            return fail(ErrorCode::NetworkError, url + ": " + detail, false);
    }
}

struct TextState {
    Common common;
    std::string* body = nullptr;
    size_t maxBytes = 0;
    bool tooLarge = false;
};

size_t onText(char* data, size_t size, size_t count, void* user) {
    auto* s = static_cast<TextState*>(user);
    const size_t n = size * count;
    if (s->body->size() + n > s->maxBytes) {
        s->tooLarge = true;
        return 0;
    }
    s->body->append(data, n);
    return n;
}

struct FileState {
    Common common;
    CURL* curl = nullptr;
    const FileRequest* request = nullptr;
    uint64_t start = 0;  // where this response's bytes begin in the file
    uint64_t written = 0;
    bool started = false;
    int writeErrno = 0;
    std::string problem;  // a response we refuse (too long, a wrong Content-Range)
    std::string contentRange;
};

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    auto* s = static_cast<FileState*>(user);
    const std::string line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0)
        s->contentRange.clear();  // a new response (after a redirect)
    else if (line.size() > 14 && strncasecmp(line.c_str(), "content-range:", 14) == 0)
        s->contentRange = line.substr(14);
    return size * count;
}

// The first byte of "bytes START-END/TOTAL", or -1.
long long rangeStart(const std::string& header) {
    const size_t p = header.find("bytes");
    if (p == std::string::npos)
        return -1;
    char* end = nullptr;
    const long long v = std::strtoll(header.c_str() + p + 5, &end, 10);
    return end != header.c_str() + p + 5 ? v : -1;
}

size_t onFileData(char* data, size_t size, size_t count, void* user) {
    auto* s = static_cast<FileState*>(user);
    const size_t n = size * count;
    if (!s->started) {
        s->started = true;
        long code = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code == 206) {
            if (rangeStart(s->contentRange) != static_cast<long long>(s->request->offset)) {
                s->problem = "answered a range request with the wrong range (Content-Range:" +
                             s->contentRange + ")";
                return 0;
            }
            s->start = s->request->offset;
        } else {
            // The whole file (the server ignored the Range): start again from byte 0.
            s->start = 0;
            if (s->request->offset > 0 && ::ftruncate(s->request->fd, 0) != 0) {
                s->writeErrno = errno;
                return 0;
            }
        }
    }
    const uint64_t at = s->start + s->written;
    if (s->request->expectedSize > 0 && at + n > s->request->expectedSize) {
        s->problem = "sent more than the " + std::to_string(s->request->expectedSize) +
                     " bytes the file has";
        return 0;
    }
    size_t done = 0;
    while (done < n) {
        const ssize_t w =
            ::pwrite(s->request->fd, data + done, n - done, static_cast<off_t>(at + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->writeErrno = w < 0 ? errno : EIO;
            return 0;
        }
        done += static_cast<size_t>(w);
    }
    s->written += n;
    if (s->request->onProgress)
        s->request->onProgress(at + n);
    return n;
}

}  // namespace

TransferStatus getText(const TextRequest& request, std::string& body) {
    body.clear();
    CurlPtr curl = newHandle();
    if (!curl)
        return {makeError(ErrorCode::Internal, "libcurl could not start"), false, 0};
    TextState state;
    state.common.stop = request.stop;
    state.body = &body;
    state.maxBytes = request.maxBytes;
    setCommonOptions(curl.get(), request.url, state.common);
    curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, "");  // gzip is welcome for JSON
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, onText);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc == CURLE_WRITE_ERROR && state.tooLarge)
        return {makeError(ErrorCode::NetworkError, request.url + " sent more than " +
                                                       std::to_string(request.maxBytes) +
                                                       " bytes; not the hub's model API"),
                false, 0};
    return classify(rc, curl.get(), request.url, state.common);
}

TransferStatus getFile(const FileRequest& request, uint64_t& fileBytes) {
    fileBytes = request.offset;
    CurlPtr curl = newHandle();
    if (!curl)
        return {makeError(ErrorCode::Internal, "libcurl could not start"), false, 0};
    FileState state;
    state.common.stop = request.stop;
    state.curl = curl.get();
    state.request = &request;
    state.start = request.offset;
    setCommonOptions(curl.get(), request.url, state.common);
    const std::string range = std::to_string(request.offset) + "-";
    if (request.offset > 0)
        curl_easy_setopt(curl.get(), CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &state);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, onFileData);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
    const CURLcode rc = curl_easy_perform(curl.get());
    fileBytes = state.started ? state.start + state.written : request.offset;
    if (rc == CURLE_WRITE_ERROR && state.writeErrno != 0) {
        const int e = state.writeErrno;
        return {makeError(e == ENOSPC || e == EDQUOT ? ErrorCode::DiskFull : ErrorCode::IoError,
                          std::string("cannot write the download: ") + std::strerror(e)),
                false, 0};
    }
    if (rc == CURLE_WRITE_ERROR && !state.problem.empty())
        return {makeError(ErrorCode::NetworkError, hostOf(request.url) + " " + state.problem),
                false, 0};
    return classify(rc, curl.get(), request.url, state.common);
}

}  // namespace fvs::core::http
