// flashvsr: the headless command line (docs/cli.md). Dispatches to one function per subcommand.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

#include "cli_common.h"
#include "commands.h"
#ifdef FVS_HAVE_TORCH
#include "fvs/gpu/device_info.h"
#endif

namespace {

void printUsage() {
    std::cout << "flashvsr " FVS_VERSION
                 " - video super-resolution (FlashVSR, Lanczos, bicubic)\n\n"
                 "usage: flashvsr <command> [options]\n\n"
                 "commands:\n"
                 "  upscale IN...      upscale files or folders\n"
                 "  probe IN           print what is known about a file (JSON)\n"
                 "  queue ...          the export queue: add list run pause cancel retry "
                 "restart resume remove move\n"
                 "  bench              pipeline throughput benchmark\n"
                 "  models download    download and verify the FlashVSR weights\n"
                 "  models verify      re-hash downloaded weights; models remove deletes them\n"
                 "  models check DIR   check a FlashVSR model folder\n"
                 "  models list        list every engine's models and whether they are installed\n"
                 "  debug ...          engine diagnostics\n\n"
                 "  --version          print the version (--verbose: GPU, driver, what runs)\n"
                 "  --help             this text; `flashvsr <command> --help` for a command\n\n"
                 "exit codes: 0 ok, 1 usage, 2 input, 3 engine/model, 4 output, 5 disk full,\n"
                 "            6 cancelled, 7 some inputs of a batch failed, 8 internal error,\n"
                 "            9 network\n";
}

// `flashvsr --version --verbose`: the compute backend and what FlashVSR can do on it.
void printDeviceReport() {
#ifndef FVS_HAVE_TORCH
    std::cout << "torch not in this build\nCUDA in this build: no\nGPU: none\n"
                 "FlashVSR: this build has no LibTorch (FlashVSR and Real-ESRGAN are not in it; "
                 "Lanczos and bicubic run)\n";
#else
    using namespace fvs::gpu;
    const DeviceInfo d = queryDevice();
    std::cout << "torch " << d.torchVersion << "\n"
              << "CUDA in this build: " << (d.cudaBuild ? "yes" : "no") << "\n";
    if (d.cudaBuild)
        std::cout << "CUDA runtime " << cudaVersionText(d.cudaRuntimeVersion)
                  << ", driver supports CUDA " << cudaVersionText(d.cudaDriverVersion) << "\n";
    if (d.cudaAvailable)
        std::cout << "GPU: " << d.deviceName << ", compute capability " << d.computeMajor << "."
                  << d.computeMinor << ", " << (d.totalMemoryBytes >> 20) << " MiB ("
                  << (d.freeMemoryBytes >> 20) << " MiB free)\n";
    else
        std::cout << "GPU: none\n";
    std::cout << "FlashVSR: " << flashVsrSupport(d).summary << "\n";
#endif
}

}  // namespace

int main(int argc, char** argv) {
    // FFmpeg's own chatter would garble the progress bar; errors come back as messages.
    // Failures come back as our own messages; FFMPEG_LOG=1 shows FFmpeg's for debugging.
    av_log_set_level(std::getenv("FFMPEG_LOG") ? AV_LOG_INFO : AV_LOG_FATAL);
    if (argc < 2) {
        printUsage();
        return fvs::cli::kExitUsage;
    }
    const std::string command = argv[1];
    if (command == "--version" || command == "-V") {
        std::cout << "flashvsr " FVS_VERSION "\n";
        if (argc > 2 && (std::strcmp(argv[2], "--verbose") == 0 || std::strcmp(argv[2], "-v") == 0))
            printDeviceReport();
        return fvs::cli::kExitOk;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        printUsage();
        return fvs::cli::kExitOk;
    }
    // Subcommands see argv[0] = their own name.
    if (command == "upscale")
        return fvs::cli::runUpscale(argc - 1, argv + 1);
    if (command == "probe")
        return fvs::cli::runProbe(argc - 1, argv + 1);
    if (command == "queue")
        return fvs::cli::runQueue(argc - 1, argv + 1);
    if (command == "bench")
        return fvs::cli::runBench(argc - 1, argv + 1);
    if (command == "models")
        return fvs::cli::runModels(argc - 1, argv + 1);
    if (command == "debug")
        return fvs::cli::runDebug(argc - 1, argv + 1);
    std::cerr << "flashvsr: error: unknown command '" << command << "'\n\n";
    printUsage();
    return fvs::cli::kExitUsage;
}
