// `flashvsr debug run --models DIR --frames IN.safetensors [--noise NOISE.safetensors]
//  [--options k=v,...] --out OUT.safetensors [--taps]`: runs the FlashVSR stream on prepared
//  tensors so anyone can compare with the official implementation (docs/parity.md).
// `flashvsr debug block --models DIR --taps TAPS.safetensors [--options k=v,...] [--tol X]
//  [--json OUT.json]`: each tapped DiT block alone with the reference's mask injected.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "cli_common.h"
#include "commands.h"
#ifdef FVS_HAVE_TORCH
#include "engine_factory.h"
#include "fvs/gpu/attention_check.h"
#include "fvs/gpu/flashvsr_debug.h"
#endif

namespace fvs::cli {

#ifdef FVS_HAVE_TORCH
namespace {

constexpr const char* kUsage =
    "usage: flashvsr debug run --models DIR --frames IN.safetensors [--noise NOISE.safetensors]\n"
    "                          [--options k=v,...] --out OUT.safetensors [--taps]\n"
    "       flashvsr debug block --models DIR --taps TAPS.safetensors [--options k=v,...]\n"
    "                            [--tol X] [--json OUT.json]\n"
    "       flashvsr debug attention [--device cuda:N]\n";

// The environment's stream knobs (FVS_ATTENTION, FVS_PROFILE, ...) first: --options wins.
std::string withEnvironment(const std::string& options) {
    const std::string env = app::readEngineEnvironment().streamOverrides;
    if (env.empty())
        return options;
    return options.empty() ? env : env + "," + options;
}

int usageError(const std::string& what) {
    std::cerr << "flashvsr: error: " << what << "\n" << kUsage;
    return exitCodeFor(core::ErrorCode::InvalidArgument);
}

// Exit 0 when every block (and t_mod) is within --tol, 1 otherwise; other errors as usual.
int runDebugBlock(int argc, char** argv) {
    gpu::BlockCheckRequest request;
    std::string jsonPath;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) {
            return usageError("bad argument '" + arg + "'");
        }
        const std::string value = argv[++i];
        if (arg == "--models") {
            request.modelsDir = value;
        } else if (arg == "--taps") {
            request.tapsPath = value;
        } else if (arg == "--options") {
            request.options = value;
        } else if (arg == "--json") {
            jsonPath = value;
        } else if (arg == "--tol") {
            try {
                size_t used = 0;
                request.tolerance = std::stod(value, &used);
                if (used != value.size() || !(request.tolerance > 0.0)) {
                    throw std::invalid_argument(value);
                }
            } catch (const std::exception&) {
                return usageError("--tol needs a positive number, got '" + value + "'");
            }
        } else {
            return usageError("bad argument '" + arg + "'");
        }
    }
    if (request.modelsDir.empty() || request.tapsPath.empty()) {
        return usageError("--models and --taps are required");
    }
    request.options = withEnvironment(request.options);
    auto report = gpu::runBlockCheck(request);
    if (!report) {
        std::cerr << "flashvsr: error: " << report.error().message << "\n";
        return exitCodeFor(report.error().code);
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "chunk %lld, grid (%lld, %lld, %lld), topk %lld, %s %s, t_mod rel %.3g\n",
                  static_cast<long long>(report->chunk), static_cast<long long>(report->f),
                  static_cast<long long>(report->h), static_cast<long long>(report->w),
                  static_cast<long long>(report->topk), report->device.c_str(),
                  report->dtype.c_str(), report->tModRel);
    std::cout << line;
    for (const auto& b : report->blocks) {
        std::snprintf(line, sizeof line,
                      "block %lld: x_out rel %.3g, cache_k rel %.3g, cache_v rel %.3g, mask flips "
                      "%lld of %lld, empty query blocks %lld  %s\n",
                      static_cast<long long>(b.block), b.xOut, b.cacheK, b.cacheV,
                      static_cast<long long>(b.maskFlips), static_cast<long long>(b.maskEntries),
                      static_cast<long long>(b.emptyQueryBlocks), b.pass ? "ok" : "FAIL");
        std::cout << line;
    }
    std::snprintf(line, sizeof line, "%s (tolerance %.3g, %.1f s)\n",
                  report->pass ? "PASS" : "FAIL", report->tolerance, report->seconds);
    std::cout << line;
    if (!jsonPath.empty()) {
        std::ofstream out(jsonPath, std::ios::trunc);
        out << gpu::blockCheckJson(*report);
        if (!out.flush()) {
            std::cerr << "flashvsr: error: cannot write '" << jsonPath << "'\n";
            return exitCodeFor(core::ErrorCode::IoError);
        }
    }
    return report->pass ? 0 : 1;
}

// The paged attention path against exact attention, and its speed (exit 0 pass, 1 fail).
int runDebugAttention(int argc, char** argv) {
    gpu::AttentionCheckRequest request;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--device" && i + 1 < argc) {
            request.device = argv[++i];
        } else {
            return usageError("bad argument '" + arg + "'");
        }
    }
    auto report = gpu::runAttentionCheck(request);
    if (!report) {
        std::cerr << "flashvsr: error: " << report.error().message << "\n";
        return exitCodeFor(report.error().code);
    }
    std::cout << report->text << (report->pass ? "PASS\n" : "FAIL\n");
    return report->pass ? 0 : 1;
}

}  // namespace

int runDebug(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "attention") {
        return runDebugAttention(argc, argv);
    }
    if (argc >= 2 && std::string(argv[1]) == "block") {
        return runDebugBlock(argc, argv);
    }
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
    request.options = withEnvironment(request.options);
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
