#include "fvs/core/xdg_paths.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace fvs::core {

namespace {
const char* nonEmptyEnv(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}
}  // namespace

std::filesystem::path xdgDataHome() {
    // The spec says relative values are invalid and must be ignored.
    if (const char* v = nonEmptyEnv("XDG_DATA_HOME"); v && std::filesystem::path(v).is_absolute())
        return v;
    if (const char* home = nonEmptyEnv("HOME"))
        return std::filesystem::path(home) / ".local/share";
    return ".";
}

std::vector<std::filesystem::path> xdgDataDirs() {
    std::vector<std::filesystem::path> dirs;
    if (const char* v = nonEmptyEnv("XDG_DATA_DIRS")) {
        const std::string list = v;
        size_t start = 0;
        while (start <= list.size()) {
            const size_t end = std::min(list.find(':', start), list.size());
            const std::filesystem::path dir = list.substr(start, end - start);
            if (dir.is_absolute())  // relative entries are invalid (the spec)
                dirs.push_back(dir);
            start = end + 1;
        }
    }
    if (dirs.empty())
        dirs = {"/usr/local/share", "/usr/share"};
    return dirs;
}

std::filesystem::path appDataDir() {
    return xdgDataHome() / "flashvsr-studio";
}

std::vector<std::filesystem::path> appDataDirs() {
    std::vector<std::filesystem::path> dirs{appDataDir()};
    for (const auto& dir : xdgDataDirs())
        dirs.push_back(dir / "flashvsr-studio");
    return dirs;
}

std::filesystem::path defaultQueuePath() {
    if (const char* v = nonEmptyEnv("FLASHVSR_QUEUE"))
        return v;
    return appDataDir() / "queue.json";
}

}  // namespace fvs::core
