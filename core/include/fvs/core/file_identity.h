#pragma once
// FileIdentity: enough of a file to tell whether it is still the one a job started from (size,
// modification time and a hash of its first and last MiB), plus whole-file checksums and fsync
// helpers used to write segments durably. Thread contract: free functions, no shared state.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fvs/core/result.h"

namespace fvs::core {

struct FileIdentity {
    int64_t sizeBytes = -1;  // -1: nothing recorded
    int64_t mtimeNs = 0;     // modification time, nanoseconds since the epoch
    std::string edgeHash;    // murmur3-128 (hex) of the first and the last MiB
    bool recorded() const { return sizeBytes >= 0; }
    bool operator==(const FileIdentity&) const = default;
};

// The identity of a regular file (links followed). IoError when it cannot be read.
Result<FileIdentity> identifyFile(const std::filesystem::path& path);
// What differs between a recorded identity and the current one, in words ("" when equal), e.g.
// "its size changed from 1200 to 900 bytes".
std::string identityDifference(const FileIdentity& recorded, const FileIdentity& now);

// murmur3-128 (hex) of a whole file; IoError when it cannot be read.
Result<std::string> checksumFile(const std::filesystem::path& path);
// murmur3-128 (hex) of the files one after the other (a set of images as one checksum).
Result<std::string> checksumFiles(const std::vector<std::filesystem::path>& paths);

// fsync of a file and then of the folder holding it, so the file and its name survive a power
// loss. ENOSPC gives DiskFull.
Status syncFileAndFolder(const std::filesystem::path& path);
// fsync of a folder (after a rename inside it).
Status syncFolder(const std::filesystem::path& folder);

}  // namespace fvs::core
