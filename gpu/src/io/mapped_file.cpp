#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace fvs::gpu {

namespace {

// Closes the descriptor on every path out of open(); the mapping stays valid after close.
struct FdCloser {
    int fd = -1;
    ~FdCloser() {
        if (fd >= 0)
            ::close(fd);
    }
};

}  // namespace

core::Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::filesystem::path& path) {
    FdCloser fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) {
        const int err = errno;
        return core::makeError(err == ENOENT ? core::ErrorCode::NotFound : core::ErrorCode::IoError,
                               "cannot open " + path.string() + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) {
        return core::makeError(core::ErrorCode::IoError,
                               "cannot stat " + path.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return core::makeError(core::ErrorCode::ModelError,
                               path.string() + " is not a regular file");
    }
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->m_path = path;
    file->m_size = static_cast<std::uint64_t>(st.st_size);
    if (file->m_size == 0)
        return file;  // mmap rejects length 0; an empty file has no bytes to view

    void* addr = ::mmap(nullptr, file->m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.fd, 0);
    if (addr == MAP_FAILED) {
        return core::makeError(core::ErrorCode::IoError,
                               "cannot map " + path.string() + ": " + std::strerror(errno));
    }
    file->m_data = static_cast<std::uint8_t*>(addr);
    return file;
}

MappedFile::~MappedFile() {
    if (m_data)
        ::munmap(m_data, m_size);
}

void MappedFile::prefetch(std::uint64_t offset, std::uint64_t length) const {
    if (!m_data || offset >= m_size)
        return;
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t start = offset / page * page;
    const std::uint64_t end = std::min(m_size, offset + length);
    ::madvise(m_data + start, end - start, MADV_WILLNEED);
}

}  // namespace fvs::gpu
