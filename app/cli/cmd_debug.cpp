// `flashvsr debug run --models DIR --frames IN.safetensors [--noise NOISE.safetensors]
//  [--options k=v,...] --out OUT.safetensors [--taps]`: runs the FlashVSR stream on prepared
//  tensors
// so anyone can compare with the official implementation (docs/parity.md).
#include <iostream>
#include <string>

#include "cli_common.h"
#include "commands.h"
#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/flashvsr_debug.h"
#endif

namespace fvs::cli {

#ifdef FVS_HAVE_TORCH
namespace {

constexpr const char* kUsage =
    "usage: flashvsr debug run --models DIR --frames IN.safetensors [--noise NOISE.safetensors]\n"
    "                          [--options k=v,...] --out OUT.safetensors [--taps]\n";

}  // namespace

int runDebug(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) != "run") {
        std::cerr << kUsage;
        return exitCodeFor(core::ErrorCode::InvalidArgument);
    }
    gpu::DebugRunRequest request;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](std::string& into) {
            if (i + 1 >= argc) {
                return false;
            }
            into = argv[++i];
            return true;
        };
        bool ok = true;
        if (arg == "--models") {
            ok = value(request.modelsDir);
        } else if (arg == "--frames") {
            ok = value(request.framesPath);
        } else if (arg == "--noise") {
            ok = value(request.noisePath);
        } else if (arg == "--options") {
            ok = value(request.options);
        } else if (arg == "--out") {
            ok = value(request.outPath);
        } else if (arg == "--taps") {
            request.taps = true;
        } else {
            ok = false;
        }
        if (!ok) {
            std::cerr << "flashvsr: error: bad argument '" << arg << "'\n" << kUsage;
            return exitCodeFor(core::ErrorCode::InvalidArgument);
        }
    }
    if (request.modelsDir.empty() || request.framesPath.empty() || request.outPath.empty()) {
        std::cerr << "flashvsr: error: --models, --frames and --out are required\n" << kUsage;
        return exitCodeFor(core::ErrorCode::InvalidArgument);
    }
    auto summary = gpu::runFlashVsrDebug(request);
    if (!summary) {
        std::cerr << "flashvsr: error: " << summary.error().message << "\n";
        return exitCodeFor(summary.error().code);
    }
    std::cout << "frames in " << summary->inputFrames << ", out " << summary->outputFrames
              << ", chunks " << summary->chunks << ", empty query blocks "
              << summary->emptyQueryBlocks << ", taps " << summary->tapCount << ", "
              << summary->seconds << " s -> " << request.outPath << "\n";
    return 0;
}

#else

int runDebug(int, char**) {
    std::cerr << "flashvsr: error: this flashvsr is built without LibTorch: the FlashVSR "
                 "engine and its model tools are not available\n";
    return exitCodeFor(core::ErrorCode::ModelError);
}

#endif
}  // namespace fvs::cli
