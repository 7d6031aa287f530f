# Shared steps of the GPU-machine scripts (bench_engine.sh, tests/parity/tools/gpu_parity.sh,
# interop_proof.sh): source it from the repository root. Defines functions only.
#   step TEXT                       a timestamped heading
#   fvs_build OUTDIR [TAIL]         packaging/gpu/build.sh (the `cuda` preset) into OUTDIR/build.log;
#                                   on failure prints its last TAIL lines (40) and returns 1
#   fvs_env                         FFmpeg prefix libraries on LD_LIBRARY_PATH; fvs= the built CLI
#   fvs_gpu_info                    the GPU's name, memory and driver
#   fvs_reference OUTDIR REF FRAMES [ARGS...]
#                                   the official pipeline (gpu_reference.py) at full size on random
#                                   release-format weights into REF, log OUTDIR/reference.log; marks
#                                   REF/model as v1.1
#   fvs_compare REF:KEY OURS:KEY JSON   compare_outputs.py (PSNR, relative error) into JSON
#   fvs_clip FFMPEG OUT RATE [ARGS...]  a 352x192 testsrc2 clip (x4: 1408x768) with FFmpeg's output
#                                   ARGS (more inputs, frames, codecs)
#   fvs_mem_start / fvs_mem_stop    sample the GPU's used memory every 0.5 s; stop prints the peak MiB

step() { echo "== $(date -u +%H:%M:%S) $*"; }

fvs_build() {
  local out=$1 tail_lines=${2:-40}
  (time bash packaging/gpu/build.sh) >"$out/build.log" 2>&1 || { tail -"$tail_lines" "$out/build.log"; return 1; }
}

fvs_env() {
  export LD_LIBRARY_PATH=/opt/fvs-ffmpeg/lib:${LD_LIBRARY_PATH:-}
  fvs=build/cuda/app/flashvsr
}

fvs_gpu_info() {
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
}

fvs_reference() {
  local out=$1 ref=$2 frames=$3
  shift 3
  python3 tests/parity/tools/gpu_reference.py .ref/FlashVSR --out "$ref" --frames "$frames" \
    --attention flex --save-fp16 "$@" >"$out/reference.log" 2>&1 || { tail -30 "$out/reference.log"; return 1; }
  echo v1.1 >"$ref/model/flashvsr_version.txt"
}

fvs_compare() {
  python3 tests/parity/tools/compare_outputs.py "$1" "$2" --json "$3"
}

fvs_clip() {
  local ff=$1 clip=$2 rate=$3
  shift 3
  "$ff" -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=352x192:rate=$rate" "$@" "$clip"
}

fvs_mem_start() {
  (while sleep 0.5; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits; done) >/tmp/mem.txt &
  fvs_mem_pid=$!
}

fvs_mem_stop() {
  kill "$fvs_mem_pid"
  sort -n /tmp/mem.txt | tail -1
}
