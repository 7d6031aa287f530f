#include "fvs/core/file_hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace fvs::core {

namespace {

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

std::string toHex(const unsigned char* bytes, unsigned size) {
    static const char* kDigits = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned i = 0; i < size; ++i) {
        hex.push_back(kDigits[bytes[i] >> 4]);
        hex.push_back(kDigits[bytes[i] & 15]);
    }
    return hex;
}

}  // namespace

struct Hasher::Context {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md{EVP_MD_CTX_new()};
};

Hasher::Hasher(HashKind kind, uint64_t gitBlobSize) : m_ctx(std::make_unique<Context>()) {
    const EVP_MD* md = kind == HashKind::Sha256 ? EVP_sha256() : EVP_sha1();
    // Only allocation failure makes these fail; there is no sensible way on without a digest.
    if (!m_ctx->md || EVP_DigestInit_ex(m_ctx->md.get(), md, nullptr) != 1)
        throw std::bad_alloc();
    if (kind == HashKind::GitBlobSha1) {
        const std::string header = "blob " + std::to_string(gitBlobSize);
        update(header.data(), header.size() + 1);  // with the terminating NUL
    }
}

Hasher::~Hasher() = default;

void Hasher::update(const void* data, size_t size) {
    EVP_DigestUpdate(m_ctx->md.get(), data, size);
}

std::string Hasher::hexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    EVP_DigestFinal_ex(m_ctx->md.get(), digest, &size);
    return toHex(digest, size);
}

std::string sha256Hex(std::string_view data) {
    Hasher h(HashKind::Sha256);
    h.update(data.data(), data.size());
    return h.hexDigest();
}

std::string gitBlobSha1Hex(std::string_view data) {
    Hasher h(HashKind::GitBlobSha1, data.size());
    h.update(data.data(), data.size());
    return h.hexDigest();
}

Result<std::string> hashFile(const std::filesystem::path& path, HashKind kind,
                             const std::function<void(uint64_t)>& onBytes, std::stop_token stop) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    struct stat st {};
    if (f.fd < 0 || ::fstat(f.fd, &st) != 0)
        return makeError(ErrorCode::IoError,
                         "cannot read " + path.string() + ": " + std::strerror(errno));
    Hasher hasher(kind, static_cast<uint64_t>(st.st_size));
    std::vector<char> buffer(1 << 20);
    uint64_t done = 0, reported = 0;
    while (true) {
        const ssize_t n = ::read(f.fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return makeError(ErrorCode::IoError,
                             "cannot read " + path.string() + ": " + std::strerror(errno));
        if (n == 0)
            break;
        hasher.update(buffer.data(), static_cast<size_t>(n));
        done += static_cast<uint64_t>(n);
        if (stop.stop_requested())
            return makeError(ErrorCode::Cancelled, "cancelled while checking " + path.string());
        if (onBytes && done - reported >= (64u << 20)) {
            reported = done;
            onBytes(done);
        }
    }
    if (done != static_cast<uint64_t>(st.st_size))
        return makeError(ErrorCode::IoError, path.string() + " changed while it was read");
    if (onBytes)
        onBytes(done);
    return hasher.hexDigest();
}

}  // namespace fvs::core
