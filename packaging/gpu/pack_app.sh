#!/usr/bin/env bash
# Packs the `gpu` preset's flashvsr-studio for the lent GPU machine (runs on the development
# machine, after `cmake --preset gpu && cmake --build build/gpu --target flashvsr-studio`).
# Usage: packaging/gpu/pack_app.sh DIR [BUILD_DIR]      (BUILD_DIR default: build/gpu)
#
# DIR receives the stripped binary and, in DIR/lib, every shared library it needs at run time that
# the GPU machine will not have from elsewhere. Provided there (so not copied):
#   - Qt and display libraries: the Debian packages in .gpu/qt and .gpu/display
#     (../shared/tools/gpu-machine-debs.sh qt|display), unpacked by interop_proof.sh;
#   - LibTorch and the CUDA runtime: the GPU machine's python3 torch (the same 2.11.0+cu130 wheel
#     as this machine's .venv; the binary's RUNPATH names this machine's .venv, so the run script
#     sets LD_LIBRARY_PATH to that torch's lib/ and nvidia/cu13/lib);
#   - FFmpeg: /opt/fvs-ffmpeg/lib from .gpu/ffmpeg-prefix.tar.xz (Debian's 5.1.9 sources, same
#     sonames as libavcodec59 & co.);
#   - the C/C++ runtime and the NVIDIA driver's libraries of the GPU machine.
# Prints what it copied and the size of DIR.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:?usage: pack_app.sh DIR [BUILD_DIR]}
build=${2:-$root/build/gpu}
bin=$build/app/studio/flashvsr-studio
if [[ ! -x $bin ]]; then
  echo "pack_app: no $bin; build it first: cmake --preset gpu -B $build && cmake --build $build --target flashvsr-studio" >&2
  exit 1
fi
if ! grep -qx "FVS_WITH_CUDA:BOOL=ON" "$build/CMakeCache.txt"; then
  echo "pack_app: $build is not a CUDA build (configure it with --preset gpu)" >&2
  exit 1
fi
for set in qt display; do
  if ! compgen -G "$root/.gpu/$set/*.deb" >/dev/null; then
    echo "pack_app: .gpu/$set holds no .deb files: bash ../shared/tools/gpu-machine-debs.sh $set .gpu/$set" >&2
    exit 1
  fi
done
[[ -f $root/.gpu/ffmpeg-prefix.tar.xz ]] || { echo "pack_app: missing .gpu/ffmpeg-prefix.tar.xz (made by packaging/gpu/build.sh on the GPU machine)" >&2; exit 1; }

# Library names the GPU machine gets from the sets above.
provided=$(mktemp)
trap 'rm -f "$provided"' EXIT
sonames() { grep -E '\.so(\.[0-9]+)*$' | xargs -rn1 basename || true; }
for deb in "$root"/.gpu/qt/*.deb "$root"/.gpu/display/*.deb; do
  # a symlink line reads "... NAME -> TARGET": both names count
  dpkg-deb -c "$deb" | awk '{print $NF; if ($(NF-1) == "->") print $(NF-2)}' | sonames
done >>"$provided"
tar -tJf "$root/.gpu/ffmpeg-prefix.tar.xz" | sonames >>"$provided"
python=$(sed -n 's|^FVS_PYTHON:FILEPATH=||p' "$build/CMakeCache.txt")
torch_lib=$("${python:-$root/.venv/bin/python}" -c 'import os, torch; print(os.path.dirname(torch.__file__))')/lib
ls "$torch_lib" >>"$provided"
ls "$torch_lib/../../nvidia/cu13/lib" >>"$provided" 2>/dev/null || true
# The C/C++ runtime, zlib and the driver's libraries (CUDA driver, GLX vendor) are on every such machine.
printf '%s\n' linux-vdso.so.1 ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libstdc++.so.6 libgcc_s.so.1 \
  libpthread.so.0 libdl.so.2 librt.so.1 libz.so.1 libcuda.so.1 libGLX_nvidia.so.0 >>"$provided"
sort -u -o "$provided" "$provided"

rm -rf "$dir"
mkdir -p "$dir/lib"
strip --strip-unneeded -o "$dir/flashvsr-studio" "$bin"

# Copy what is needed and not provided, following the copied libraries' own needs.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
queue=("$dir/flashvsr-studio")
copied=()
while ((${#queue[@]})); do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  for so in $(needed "$f"); do
    grep -qxF "$so" "$provided" && continue
    [[ -e $dir/lib/$so ]] && continue
    src=$(ldconfig -p | awk -v n="$so" '$1 == n && /x86-64/ {print $NF; exit}')
    if [[ -z $src ]]; then
      echo "pack_app: $f needs $so, which is neither provided nor found here" >&2
      exit 1
    fi
    cp -L "$src" "$dir/lib/$so"
    copied+=("$so")
    queue+=("$dir/lib/$so")
  done
done
echo "pack_app: binary $(du -h "$dir/flashvsr-studio" | cut -f1) (stripped from $bin)"
echo "pack_app: copied ${#copied[@]} libraries: ${copied[*]:-none}"
echo "pack_app: $(du -sh "$dir" | cut -f1) in $dir"
