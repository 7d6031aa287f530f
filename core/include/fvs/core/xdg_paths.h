#pragma once
// Per-user locations following the XDG base directory specification.

#include <filesystem>

namespace fvs::core {

// $XDG_DATA_HOME, else $HOME/.local/share (an absolute path; "." when neither is usable).
std::filesystem::path xdgDataHome();
// xdgDataHome()/flashvsr-studio
std::filesystem::path appDataDir();
// The export queue file: $FLASHVSR_QUEUE if set (tests, several queues), else
// appDataDir()/queue.json.
std::filesystem::path defaultQueuePath();

}  // namespace fvs::core
