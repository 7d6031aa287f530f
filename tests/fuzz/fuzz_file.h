#pragma once
// The readers under test open files by path. MemoryFile holds one input in a memfd and names it
// /proc/self/fd/N, so each execution costs no disk I/O and a killed run leaves nothing behind.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fvs::fuzz {

class MemoryFile {
public:
    explicit MemoryFile(const char* name) : m_fd(::memfd_create(name, MFD_CLOEXEC)) {
        if (m_fd < 0) {
            std::perror("memfd_create");
            std::abort();
        }
        m_path = "/proc/self/fd/" + std::to_string(m_fd);
    }
    ~MemoryFile() { ::close(m_fd); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    // Replaces the whole contents with `size` bytes.
    void assign(const uint8_t* data, size_t size) {
        if (::ftruncate(m_fd, 0) != 0) {
            std::perror("ftruncate");
            std::abort();
        }
        size_t done = 0;
        while (done < size) {
            const ssize_t n = ::pwrite(m_fd, data + done, size - done, static_cast<off_t>(done));
            if (n <= 0) {
                std::perror("pwrite");
                std::abort();
            }
            done += static_cast<size_t>(n);
        }
    }
    const std::string& path() const { return m_path; }

private:
    int m_fd = -1;
    std::string m_path;
};

}  // namespace fvs::fuzz
