// flashvsr probe IN: StreamInfo as JSON on stdout.
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "fvs/core/media_source.h"

namespace fvs::cli {

int runProbe(int argc, char** argv) {
    CLI::App app{"Print what flashvsr knows about a video file, as JSON", "flashvsr probe"};
    std::string input;
    app.add_option("input", input, "video file")->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    auto info = core::probe(input);
    if (!info)
        return reportError(info.error());
    std::cout << core::toJson(info.value()) << "\n";
    return kExitOk;
}

}  // namespace fvs::cli
