#pragma once
// A read-only view of a whole file through mmap, shared by every tensor created over it.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "fvs/core/result.h"

namespace fvs::gpu {

// Owns one private mapping of a file. Tensors made over the mapping hold a shared_ptr to it, so it
// lives as long as the last tensor. The mapping is MAP_PRIVATE and writable: an in-place write by a
// caller copies the page instead of faulting or changing the file.
class MappedFile {
public:
    static core::Result<std::shared_ptr<MappedFile>> open(const std::filesystem::path& path);

    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    const std::uint8_t* data() const { return m_data; }
    std::uint8_t* mutableData() const { return m_data; }
    std::uint64_t size() const { return m_size; }
    const std::filesystem::path& path() const { return m_path; }

    // Hints the kernel to read [offset, offset+length) ahead; errors are ignored (only a hint).
    void prefetch(std::uint64_t offset, std::uint64_t length) const;

private:
    MappedFile() = default;

    std::filesystem::path m_path;
    std::uint8_t* m_data = nullptr;
    std::uint64_t m_size = 0;
};

}  // namespace fvs::gpu
