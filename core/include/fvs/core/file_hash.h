#pragma once
// Cryptographic digests of files and buffers through OpenSSL's EVP interface: SHA-256 (the hub's
// LFS hashes, our download manifest) and the git blob id (SHA-1 of "blob <size>\0" + content, what
// a git tree and the hub's blobId name a file by). Thread contract: free functions and a
// single-owner hasher, no shared state.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "fvs/core/result.h"

namespace fvs::core {

enum class HashKind { Sha256, GitBlobSha1 };

// Incremental digest. For GitBlobSha1 the content size must be known up front (it is hashed first).
class Hasher {
public:
    explicit Hasher(HashKind kind, uint64_t gitBlobSize = 0);
    ~Hasher();
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(const void* data, size_t size);
    // Lower-case hex; the hasher cannot be updated afterwards.
    std::string hexDigest();

private:
    struct Context;
    std::unique_ptr<Context> m_ctx;
};

std::string sha256Hex(std::string_view data);
std::string gitBlobSha1Hex(std::string_view data);

// The digest of a whole file. `onBytes` (optional) receives the bytes hashed so far, at most every
// 64 MiB; a stop request returns Cancelled. IoError when the file cannot be read.
Result<std::string> hashFile(const std::filesystem::path& path, HashKind kind,
                             const std::function<void(uint64_t)>& onBytes = {},
                             std::stop_token stop = {});

}  // namespace fvs::core
