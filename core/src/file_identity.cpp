#include "fvs/core/file_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/murmur3.h>
}

namespace fvs::core {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kEdgeBytes = 1 << 20;

Error fileError(const std::string& what, const fs::path& path, int err) {
    return makeError(err == ENOSPC || err == EDQUOT ? ErrorCode::DiskFull : ErrorCode::IoError,
                     what + " " + path.string() + ": " + std::strerror(err));
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

struct MurmurDeleter {
    void operator()(AVMurMur3* m) const { av_free(m); }
};

class Hasher {
public:
    Hasher() : m_ctx(av_murmur3_alloc()) {
        if (m_ctx)
            av_murmur3_init(m_ctx.get());
    }
    bool ok() const { return m_ctx != nullptr; }
    void update(const uint8_t* data, size_t size) { av_murmur3_update(m_ctx.get(), data, size); }
    std::string hex() {
        std::array<uint8_t, 16> digest{};
        av_murmur3_final(m_ctx.get(), digest.data());
        static const char* digits = "0123456789abcdef";
        std::string out;
        for (uint8_t b : digest) {
            out += digits[b >> 4];
            out += digits[b & 15];
        }
        return out;
    }

private:
    std::unique_ptr<AVMurMur3, MurmurDeleter> m_ctx;
};

// Reads `size` bytes at `offset` into the hash; false (errno set) on a read error or short file.
bool hashRange(int fd, int64_t offset, int64_t size, Hasher& hash, std::vector<uint8_t>& buf) {
    while (size > 0) {
        const auto want = static_cast<size_t>(std::min<int64_t>(size, int64_t(buf.size())));
        const ssize_t n = ::pread(fd, buf.data(), want, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;  // the file shrank while being read
            return false;
        }
        hash.update(buf.data(), static_cast<size_t>(n));
        offset += n;
        size -= n;
    }
    return true;
}

}  // namespace

Result<FileIdentity> identifyFile(const fs::path& path) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0)
        return fileError("cannot open", path, errno);
    struct stat st {};
    if (::fstat(f.fd, &st) != 0)
        return fileError("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode))
        return makeError(ErrorCode::InvalidInput, path.string() + " is not a regular file");
    FileIdentity id;
    id.sizeBytes = st.st_size;
    id.mtimeNs = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    Hasher hash;
    if (!hash.ok())
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a hash");
    std::vector<uint8_t> buf(1 << 16);
    const int64_t head = std::min(id.sizeBytes, kEdgeBytes);
    const int64_t tailStart = std::max(head, id.sizeBytes - kEdgeBytes);
    if (!hashRange(f.fd, 0, head, hash, buf) ||
        !hashRange(f.fd, tailStart, id.sizeBytes - tailStart, hash, buf))
        return fileError("cannot read", path, errno);
    id.edgeHash = hash.hex();
    return id;
}

std::string identityDifference(const FileIdentity& recorded, const FileIdentity& now) {
    if (recorded.sizeBytes != now.sizeBytes)
        return "its size changed from " + std::to_string(recorded.sizeBytes) + " to " +
               std::to_string(now.sizeBytes) + " bytes";
    if (recorded.edgeHash != now.edgeHash)
        return "its content changed (same size, other bytes)";
    if (recorded.mtimeNs != now.mtimeNs)
        return "it was modified (same size, new modification time)";
    return {};
}

Result<std::string> checksumFiles(const std::vector<fs::path>& paths) {
    Hasher hash;
    if (!hash.ok())
        return makeError(ErrorCode::OutOfMemory, "cannot allocate a hash");
    std::vector<uint8_t> buf(1 << 20);
    for (const auto& path : paths) {
        Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
        if (f.fd < 0)
            return fileError("cannot open", path, errno);
        while (true) {
            const ssize_t n = ::read(f.fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return fileError("cannot read", path, errno);
            if (n == 0)
                break;
            hash.update(buf.data(), static_cast<size_t>(n));
        }
    }
    return hash.hex();
}

Result<std::string> checksumFile(const fs::path& path) {
    return checksumFiles({path});
}

Status syncFolder(const fs::path& folder) {
    const fs::path dir = folder.empty() ? fs::path(".") : folder;
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0)
        return fileError("cannot open the folder", dir, errno);
    if (::fsync(d.fd) != 0 && errno != EINVAL)  // EINVAL: the file system cannot sync folders
        return fileError("cannot flush the folder", dir, errno);
    return {};
}

Status syncFileAndFolder(const fs::path& path) {
    {
        Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
        if (f.fd < 0)
            return fileError("cannot open", path, errno);
        if (::fsync(f.fd) != 0)
            return fileError("cannot flush", path, errno);
    }
    return syncFolder(path.parent_path());
}

}  // namespace fvs::core
