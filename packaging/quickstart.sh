#!/usr/bin/env bash
# The README's two Quick start commands (fresh Debian 12, as root):
#   packaging/quickstart.sh app    install, build, launch the desktop app (or, without a display,
#                                  upscale a generated sample clip with the CLI: Real-ESRGAN, or
#                                  FlashVSR when its weights are installed). On a machine with
#                                  an NVIDIA driver (`nvidia-smi -L` works) it builds the `gpu`
#                                  preset (CUDA from the torch wheel, no toolkit needed), else `cpu`;
#                                  FVS_PRESET=cpu|gpu overrides.
#   packaging/quickstart.sh test   install, build, run the whole test suite (what CI runs)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mode=${1:-app}

"$root/packaging/setup-deps.sh"
jobs=$(nproc)

case $mode in
  app)
    preset=${FVS_PRESET:-$(nvidia-smi -L >/dev/null 2>&1 && echo gpu || echo cpu)}
    echo "quickstart: building preset $preset"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs" --target flashvsr flashvsr-studio
    if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -x build/$preset/app/studio/flashvsr-studio ]]; then
      exec "build/$preset/app/studio/flashvsr-studio" "${@:2}"
    fi
    echo "quickstart: no display; running the CLI on a generated sample clip instead"
    mkdir -p build/sample
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x180:rate=25:duration=2 \
      -f lavfi -i sine=frequency=440:duration=2 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest \
      build/sample/sample.mp4
    # FlashVSR when its weights are installed (docs/models.md), else Real-ESRGAN, whose weights
    # setup-deps.sh installed: an AI upscale out of the box.
    engine=realesrgan
    "build/$preset/app/flashvsr" models check >/dev/null 2>&1 && engine=flashvsr
    echo "quickstart: upscaling the sample x2 with --engine $engine"
    exec "build/$preset/app/flashvsr" upscale build/sample/sample.mp4 --engine "$engine" --scale 2 \
      -o "build/sample/sample.$engine-x2.mp4" --overwrite
    ;;
  test)
    # House style is mechanical (house-style rule 15): any clang-format drift fails the run.
    if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
      echo "quickstart: clang-format check"
      git -C "$root" ls-files -z '*.cpp' '*.h' '*.cu' | (cd "$root" && xargs -0 clang-format --dry-run --Werror)
    fi
    cmake --preset cpu >/dev/null
    cmake --build --preset cpu -j "$jobs"
    # qmllint over the QML module: fails on any warning (docs/ui.md).
    cmake --build --preset cpu --target fvs_ui_qmllint
    ctest --preset cpu -j "$jobs"
    # The core tests again under AddressSanitizer + UBSan.
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs"
    ctest --preset asan -L core -j "$jobs"
    # The file readers under libFuzzer (clang, ASan + UBSan), each for a bounded time on its seed
    # corpus (tests/fuzz); a crash fails the run. FVS_FUZZ_SECONDS=0 skips it.
    if ((${FVS_FUZZ_SECONDS:-60} > 0)); then
      cmake --preset fuzz >/dev/null
      cmake --build --preset fuzz -j "$jobs"
      tests/fuzz/run_fuzzers.sh "${FVS_FUZZ_SECONDS:-60}"
    fi
    ;;
  *)
    echo "usage: $0 app|test" >&2
    exit 2 ;;
esac
