#!/usr/bin/env bash
# The CUDA-OpenGL interop proof on the lent GPU machine (issue 4 §5): the real flashvsr-studio under
# Xvfb with GLX rendering on the NVIDIA GPU shows an upscaled FlashVSR frame that came through
# CudaGlTexture, and says that no host copy happened.
# Usage: packaging/gpu/interop_proof.sh display|qt|run|all OUTDIR
#   display  unpack .gpu/display/*.deb to /opt/fvsx, start Xvfb :99 with GLX (carry .gpu/display)
#   qt       unpack .gpu/qt/*.deb to /opt/fvsqt and .gpu/ffmpeg-prefix.tar.xz to /opt/fvs-ffmpeg
#            (carry .gpu/qt and .gpu/ffmpeg-prefix.tar.xz)
#   run      check libraries, make a clip, run `.gpu/app/flashvsr-studio --grab` with the FlashVSR
#            engine on the reduced v1.1 test model, then `--export` of the clip with that engine to
#            FFV1 (frames out must equal frames in) (carry .gpu/app, from packaging/gpu/pack_app.sh)
#   all      the three in a row (when everything fits one call)
# Every stage skips work it finds done (the machine keeps /opt and setsid processes while warm), so
# stages can be separate calls made back to back or one call. OUTDIR gets the logs (interop.log,
# export.log), interop.png and interop-summary.txt; the exit code of `run` is 0 only when every check passed.
# For a dry run elsewhere (the checks on the NVIDIA renderer and interop then fail, as they must):
# FVS_PROOF_OPT (folder instead of /opt), FVS_PROOF_DISPLAY (instead of 99), FVS_PROOF_ENGINE
# (instead of flashvsr), FVS_PROOF_PYTHON (a python3 with torch), FVS_PROOF_MODELS (model folder).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/packaging/gpu/common.sh"
stage=${1:?usage: interop_proof.sh display|qt|run|all OUTDIR}
out=${2:?usage: interop_proof.sh display|qt|run|all OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
opt=${FVS_PROOF_OPT:-/opt}
X=$opt/fvsx
Q=$opt/fvsqt
FF=$opt/fvs-ffmpeg
DISPLAY_NUM=${FVS_PROOF_DISPLAY:-99}
engine=${FVS_PROOF_ENGINE:-flashvsr}
# The model folder: the reduced v1.1 test model by default; FVS_PROOF_MODELS points at another one
# (e.g. the full-size random weights gpu_reference.py writes to /tmp/fvs-ref/model).
models=${FVS_PROOF_MODELS:-$root/tests/data/parity/e2e_v11}
gnu=x86_64-linux-gnu

log() { echo "interop_proof: $*" | tee -a "$out/proof.log"; }

xvfb_running() {
  [[ -S /tmp/.X11-unix/X$DISPLAY_NUM && -f /tmp/.X$DISPLAY_NUM-lock ]] &&
    kill -0 "$(tr -d ' ' </tmp/.X$DISPLAY_NUM-lock)" 2>/dev/null
}

stage_display() {
  if [[ -x $X/usr/bin/Xvfb ]]; then
    log "display: $X already unpacked"
  else
    compgen -G "$root/.gpu/display/*.deb" >/dev/null ||
      { log "display: no .gpu/display/*.deb (carry .gpu/display)"; return 1; }
    mkdir -p $X
    for f in "$root"/.gpu/display/*.deb; do dpkg -x "$f" $X; done
    log "display: unpacked $(ls "$root"/.gpu/display/*.deb | wc -l) packages to $X"
  fi
  [[ -x /usr/bin/xkbcomp ]] || cp $X/usr/bin/xkbcomp /usr/bin/  # Xvfb runs it from its built-in path
  if xvfb_running; then
    log "display: Xvfb :$DISPLAY_NUM already running"
  else
    # Mesa only gives Xvfb its GLX visuals; clients render on the NVIDIA GPU (__GLX_VENDOR_LIBRARY_NAME).
    (LD_LIBRARY_PATH=$X/usr/lib/$gnu:$X/lib/$gnu LIBGL_DRIVERS_PATH=$X/usr/lib/$gnu/dri \
      setsid $X/usr/bin/Xvfb :$DISPLAY_NUM -screen 0 1280x800x24 +extension GLX \
      -xkbdir $X/usr/share/X11/xkb -nolisten tcp >/tmp/fvs-xvfb.log 2>&1 </dev/null &)
    for _ in $(seq 100); do xvfb_running && break; sleep 0.2; done
    xvfb_running || { log "display: Xvfb did not start:"; tail -20 /tmp/fvs-xvfb.log | tee -a "$out/proof.log"; return 1; }
    log "display: Xvfb :$DISPLAY_NUM started"
  fi
  local glxinfo
  glxinfo=$(find $X/usr/bin -name 'glxinfo*' -type f | head -1)
  if [[ -n $glxinfo ]]; then
    DISPLAY=:$DISPLAY_NUM __GLX_VENDOR_LIBRARY_NAME=nvidia \
      LD_LIBRARY_PATH=$X/usr/lib/$gnu:$X/lib/$gnu "$glxinfo" -B >"$out/glxinfo.log" 2>&1 || true
    log "display: $(grep -m1 'OpenGL renderer' "$out/glxinfo.log" || echo 'glxinfo: no renderer line')"
  fi
}

stage_qt() {
  if [[ -f $Q/.unpacked ]]; then
    log "qt: $Q already unpacked"
  else
    compgen -G "$root/.gpu/qt/*.deb" >/dev/null || { log "qt: no .gpu/qt/*.deb (carry .gpu/qt)"; return 1; }
    mkdir -p $Q
    for f in "$root"/.gpu/qt/*.deb; do dpkg -x "$f" $Q; done
    touch $Q/.unpacked
    log "qt: unpacked $(ls "$root"/.gpu/qt/*.deb | wc -l) packages to $Q"
  fi
  # Fontconfig finds the unpacked fonts only through its own file (there is no /etc/fonts there).
  cat >$Q/fonts.conf <<EOF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>$Q/usr/share/fonts</dir><cachedir>/tmp/fvs-fontconfig</cachedir></fontconfig>
EOF
  if [[ -f $FF/lib/libavcodec.so.59 ]]; then
    log "qt: $FF already unpacked"
  else
    [[ -f $root/.gpu/ffmpeg-prefix.tar.xz ]] ||
      { log "qt: no .gpu/ffmpeg-prefix.tar.xz (carry it)"; return 1; }
    mkdir -p "$opt"
    tar -xJf "$root/.gpu/ffmpeg-prefix.tar.xz" -C "$opt"
    log "qt: unpacked the FFmpeg prefix to $FF"
  fi
}

stage_run() {
  local app=$root/.gpu/app/flashvsr-studio
  [[ -x $app ]] || { log "run: no $app (make it with packaging/gpu/pack_app.sh .gpu/app; carry .gpu/app)"; return 1; }
  xvfb_running || { log "run: Xvfb :$DISPLAY_NUM is not running (stage display first)"; return 1; }
  [[ -f $Q/.unpacked && -f $FF/lib/libavcodec.so.59 ]] || { log "run: Qt/FFmpeg not unpacked (stage qt first)"; return 1; }
  local torch_dir
  torch_dir=$("${FVS_PROOF_PYTHON:-python3}" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  export LD_LIBRARY_PATH=$root/.gpu/app/lib:$Q/usr/lib/$gnu:$Q/lib/$gnu:$X/usr/lib/$gnu:$X/lib/$gnu:$torch_dir/lib:$torch_dir/../nvidia/cu13/lib:$FF/lib
  export QT_PLUGIN_PATH=$Q/usr/lib/$gnu/qt6/plugins QML_IMPORT_PATH=$Q/usr/lib/$gnu/qt6/qml
  export DISPLAY=:$DISPLAY_NUM QT_QPA_PLATFORM=xcb __GLX_VENDOR_LIBRARY_NAME=nvidia QSG_INFO=1
  export FONTCONFIG_FILE=$Q/fonts.conf
  local work
  work=$(mktemp -d)
  export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
  export XDG_CACHE_HOME=$work/cache FLASHVSR_QUEUE=$work/queue.json
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

  # Missing libraries first: the binary, our libraries and the Qt plugins the window needs.
  {
    for f in "$app" "$root"/.gpu/app/lib/*.so* $Q/usr/lib/$gnu/qt6/plugins/platforms/libqxcb.so \
      $Q/usr/lib/$gnu/qt6/plugins/xcbglintegrations/*.so; do
      [[ -e $f ]] || continue
      ldd "$f" | grep 'not found' | sed "s|^|$(basename "$f"): |" || true
    done
  } >"$out/ldd-missing.log"
  if [[ -s $out/ldd-missing.log ]]; then
    log "run: libraries not found:"
    sort "$out/ldd-missing.log" | uniq -c | tee -a "$out/proof.log"
    return 1
  fi
  log "run: no library missing"
  fvs_gpu_info >"$out/gpu.txt" 2>&1 || true

  # A 352x192 clip: the x4 output is 1408x768 (no padding); FFmpeg's native MPEG-4 encoder.
  fvs_clip "$FF/bin/ffmpeg" "$work/clip.mp4" 25 -frames:v 40 -c:v mpeg4 -q:v 3
  local rc=0
  timeout 420 "$app" --grab 5 "$out/interop.png" "$work/clip.mp4" --engine "$engine" \
    --models "$models" --timeout 300 >"$out/interop.log" 2>&1 || rc=$?
  log "run: flashvsr-studio --grab exited with $rc"

  # The export from the app (its export queue model and runner, on a queue of that run only).
  local export_rc=0 frames_in frames_out
  timeout 420 "$app" --export "$work/export.mkv" "$work/clip.mp4" --engine "$engine" \
    --models "$models" --timeout 300 >"$out/export.log" 2>&1 || export_rc=$?
  log "run: flashvsr-studio --export exited with $export_rc"
  count_frames() {
    "$FF/bin/ffprobe" -v error -count_frames -select_streams v:0 \
      -show_entries stream=nb_read_frames -of csv=p=0 "$1" 2>/dev/null || echo "?"
  }
  frames_in=$(count_frames "$work/clip.mp4")
  frames_out=$([[ -f $work/export.mkv ]] && count_frames "$work/export.mkv" || echo "none")
  { echo "ffprobe: frames in $frames_in, frames out $frames_out"
    [[ -f $work/export.mkv ]] && "$FF/bin/ffprobe" -v error -select_streams v:0 \
      -show_entries stream=codec_name,width,height -of csv=p=0 "$work/export.mkv"; } \
    >>"$out/export.log" 2>&1 || true

  # The checks the proof rests on.
  local ok=1
  check() {
    if grep -qE "$2" "$out/interop.log"; then
      echo "PASS  $1: $(grep -m1 -oE "$2.*" "$out/interop.log")"
    else
      echo "FAIL  $1 (no line matching: $2)"
      ok=0
    fi
  }
  {
    echo "flashvsr-studio --grab exit code: $rc"
    check "scene graph on the NVIDIA GPU" 'OpenGL VENDOR: NVIDIA'
    check "engine" "^engine: $engine"
    check "grabbed frame came through interop" '^upscaled frame 5 shown by: device frame'
    check "device frames, no host copy" '^interop: [1-9][0-9]* device frames shown, 0 host copies'
    check "no host upload of an upscaled frame" '^host uploads of upscaled frames: 0$'
    check "models status follows --models" '^models: FlashVSR v1\.1 weights in '
    [[ $rc -eq 0 && -s $out/interop.png ]] || ok=0
    echo "flashvsr-studio --export exit code: $export_rc"
    check_export() {
      if grep -qE "$2" "$out/export.log"; then
        echo "PASS  $1: $(grep -m1 -oE "$2.*" "$out/export.log")"
      else
        echo "FAIL  $1 (no line matching: $2)"
        ok=0
      fi
    }
    check_export "export job done" '^state: done$'
    check_export "export engine" "^engine: $engine"
    if [[ $export_rc -eq 0 && $frames_in =~ ^[0-9]+$ && $frames_out == "$frames_in" ]]; then
      echo "PASS  export frames out == frames in (ffprobe): $frames_out == $frames_in"
    else
      echo "FAIL  export frames out == frames in (ffprobe): out $frames_out, in $frames_in, exit $export_rc"
      ok=0
    fi
    echo "result: $([[ $ok -eq 1 ]] && echo PASS || echo FAIL)"
  } >"$out/interop-summary.txt"
  tee -a "$out/proof.log" <"$out/interop-summary.txt"
  rm -rf "$work"
  [[ $ok -eq 1 ]]
}

case $stage in
  display) stage_display ;;
  qt) stage_qt ;;
  run) stage_run ;;
  all) stage_display && stage_qt && stage_run ;;
  *) echo "interop_proof: unknown stage $stage (display|qt|run|all)" >&2; exit 2 ;;
esac
