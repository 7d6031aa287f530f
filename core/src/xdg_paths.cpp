#include "fvs/core/xdg_paths.h"

#include <cstdlib>

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

std::filesystem::path appDataDir() {
    return xdgDataHome() / "flashvsr-studio";
}

std::filesystem::path defaultQueuePath() {
    if (const char* v = nonEmptyEnv("FLASHVSR_QUEUE"))
        return v;
    return appDataDir() / "queue.json";
}

}  // namespace fvs::core
