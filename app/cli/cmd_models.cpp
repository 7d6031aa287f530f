// Placeholder until the owner of `flashvsr models` lands it (issue #3); exits with the engine code.
#include <iostream>

#include "commands.h"

namespace fvs::cli {

int runModels(int, char**) {
    std::cerr << "flashvsr: error: 'models' is not available yet\n";
    return 3;
}

}  // namespace fvs::cli
