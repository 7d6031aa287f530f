#pragma once
// Per-user locations following the XDG base directory specification.

#include <filesystem>
#include <vector>

namespace fvs::core {

// $XDG_DATA_HOME, else $HOME/.local/share (an absolute path; "." when neither is usable).
std::filesystem::path xdgDataHome();
// $XDG_DATA_DIRS (':'-separated, absolute entries only), else /usr/local/share, /usr/share.
std::vector<std::filesystem::path> xdgDataDirs();
// xdgDataHome()/flashvsr-studio
std::filesystem::path appDataDir();
// appDataDir(), then <each xdgDataDirs() entry>/flashvsr-studio: where shared data is looked up.
std::vector<std::filesystem::path> appDataDirs();
// The export queue file: $FLASHVSR_QUEUE if set (tests, several queues), else
// appDataDir()/queue.json.
std::filesystem::path defaultQueuePath();

}  // namespace fvs::core
