// libFuzzer target: the queue file loader (core JobQueue::open: parse, validate, reconcile orphaned
// jobs) on arbitrary bytes written as queue.json in a private temporary folder.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fvs/core/job_queue.h"

namespace fs = std::filesystem;

namespace {

fs::path makeFolder() {
    // /dev/shm keeps the queue's fsyncs off the disk where it exists.
    std::string base = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    std::string pattern = base + "/fvs-fuzz-queue-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
        std::perror("mkdtemp");
        std::abort();
    }
    return pattern;
}

struct Folder {
    fs::path path = makeFolder();
    ~Folder() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Folder folder;
    const fs::path queueFile = folder.path / "queue.json";
    {
        std::ofstream out(queueFile, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out)
            std::abort();
    }
    auto queue = fvs::core::JobQueue::open(queueFile);
    if (queue) {
        for (const auto& job : queue->jobs()) {
            (void)fvs::core::toString(job.state);
            (void)job.segmentedFrames();
        }
        (void)queue->reload();
    }
    return 0;
}
