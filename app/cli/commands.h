#pragma once
// Subcommands of `flashvsr`. Each takes the arguments after its name (argv[0] = the command name)
// and returns the process exit code (docs/cli.md lists them).

namespace fvs::cli {

int runUpscale(int argc, char** argv);  // cmd_upscale.cpp
int runProbe(int argc, char** argv);    // cmd_probe.cpp
int runQueue(int argc, char** argv);    // cmd_queue.cpp
int runModels(int argc, char** argv);   // cmd_models.cpp  (flashvsr models check DIR)
int runDebug(int argc, char** argv);    // cmd_debug.cpp   (flashvsr debug run ...)
int runBench(int argc, char** argv);    // cmd_bench.cpp

}  // namespace fvs::cli
