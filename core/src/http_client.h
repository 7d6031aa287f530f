#pragma once
// A thin libcurl wrapper for the model downloader: a small GET into memory (the hub's JSON) and a
// resumable GET into a file descriptor. Redirects are followed (the hub answers 302 to a file
// host), proxies come from the environment (libcurl's http_proxy/https_proxy/no_proxy handling),
// only http and https are spoken. Errors carry the URL, the HTTP status or libcurl's message.
// Thread contract: each call uses its own curl handle; calls may run on any thread.

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>

#include "fvs/core/result.h"

namespace fvs::core::http {

struct TransferStatus {
    Status status;           // ok, or what went wrong (NotFound for 401/404, NetworkError, ...)
    bool retryable = false;  // a cut connection, a timeout, a 5xx: worth another try
    long httpCode = 0;       // the last response's status (0: none received)
};

struct TextRequest {
    std::string url;
    size_t maxBytes = 32u << 20;  // refuse larger answers
    std::stop_token stop;
};
// The body of a 2xx answer in `body`.
TransferStatus getText(const TextRequest& request, std::string& body);

struct FileRequest {
    std::string url;
    int fd = -1;                // open for writing; bytes go to [offset, ...) with pwrite
    uint64_t offset = 0;        // bytes already in the file: asked for with "Range: bytes=offset-"
    uint64_t expectedSize = 0;  // the whole file's size (0: unknown); more is refused
    std::function<void(uint64_t fileBytes)> onProgress;  // bytes in the file so far
    std::stop_token stop;
};
// Appends the rest of the file. A server that ignores the Range (200 instead of 206) makes the file
// start again from byte 0: `fileBytes` says what the file holds afterwards.
TransferStatus getFile(const FileRequest& request, uint64_t& fileBytes);

}  // namespace fvs::core::http
