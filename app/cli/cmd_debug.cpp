// Placeholder until the owner of `flashvsr debug` lands it (issue #3); exits with the engine code.
#include <iostream>

#include "commands.h"

namespace fvs::cli {

int runDebug(int, char**) {
    std::cerr << "flashvsr: error: 'debug' is not available yet\n";
    return 3;
}

}  // namespace fvs::cli
