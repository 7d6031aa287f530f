#!/usr/bin/env bash
# Builds FlashVSR Studio's CLI and engine with the `cuda` preset on the lent GPU machine (Ubuntu 24.04,
# CUDA 13.0, python3 with torch 2.11.0+cu130, no Qt, no FFmpeg, no network). The caller carries
# .gpu/ (git-ignored) holding either a prebuilt FFmpeg prefix (.gpu/ffmpeg-prefix.tar.xz, produced by
# an earlier run of this script) or the FFmpeg source set from ../shared/tools/gpu-machine-debs.sh
# (.gpu/ffmpeg/), plus the header-only Debian packages nlohmann-json3-dev and libcli11-dev (.gpu/hdr/)
# and the cudnn-frontend headers (.gpu/cfe/include, from the nvidia-cudnn-frontend wheel's include/).
# Usage: packaging/gpu/build.sh [OUTDIR]   (OUTDIR receives ffmpeg-prefix.tar.xz when FFmpeg was built)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-}
ff=/opt/fvs-ffmpeg
if [[ ! -f $ff/lib/pkgconfig/libavcodec.pc ]]; then
  if [[ -f $root/.gpu/ffmpeg-prefix.tar.xz ]]; then
    mkdir -p /opt && tar -xJf "$root/.gpu/ffmpeg-prefix.tar.xz" -C /opt
  else
    w=$(mktemp -d)
    dpkg -x "$root"/.gpu/ffmpeg/libffmpeg-nvenc-dev_*.deb "$w/nv"
    dpkg -x "$root"/.gpu/ffmpeg/nasm_*.deb "$w/nasm"
    sed -i "s|^prefix=.*|prefix=$w/nv/usr|" "$w/nv/usr/share/pkgconfig/ffnvcodec.pc"
    tar -xJf "$root"/.gpu/ffmpeg/ffmpeg_*.orig.tar.xz -C "$w"
    (cd "$w"/ffmpeg-* && export PATH=$w/nasm/usr/bin:$PATH PKG_CONFIG_PATH=$w/nv/usr/share/pkgconfig &&
      ./configure --prefix=$ff --enable-shared --disable-static --disable-doc --disable-debug \
        --enable-ffnvcodec --enable-nvenc --enable-nvdec --enable-cuvid --disable-vaapi --disable-vdpau \
        --disable-xlib --disable-libxcb --disable-sdl2 --disable-ffplay >/dev/null &&
      make -j"$(nproc)" >/dev/null && make install >/dev/null)
    [[ -n $out ]] && tar -cJf "$out/ffmpeg-prefix.tar.xz" -C /opt fvs-ffmpeg
  fi
fi
hdr=/opt/fvs-hdr
if [[ ! -d $hdr/usr/include/nlohmann ]]; then
  for f in "$root"/.gpu/hdr/*.deb; do dpkg -x "$f" $hdr; done
fi
export PKG_CONFIG_PATH=$ff/lib/pkgconfig LD_LIBRARY_PATH=$ff/lib:${LD_LIBRARY_PATH:-}
# cudnn-frontend headers (PyPI nvidia-cudnn-frontend, header-only): carried as .gpu/cfe/include.
cfe=()
[[ -f $root/.gpu/cfe/include/cudnn_frontend.h ]] && cfe=(-DFVS_CUDNN_FRONTEND_INCLUDE="$root/.gpu/cfe/include")
cmake --preset cuda -DFVS_BUILD_TESTS=OFF -DCMAKE_PREFIX_PATH="$hdr/usr" "${cfe[@]}" | grep -iE 'cudnn|warn' || true
cmake --build --preset cuda -j"$(nproc)"
echo "build: $root/build/cuda/app/flashvsr"
