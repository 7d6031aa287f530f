#!/usr/bin/env bash
# FlashVSR engine benchmark on the lent GPU machine (one device call, carry .gpu and .ref):
# builds the `cuda` preset, writes random full-size v1.1 weights in the release formats and runs the
# official pipeline on them (tests/parity/tools/gpu_reference.py: its loop time is the reference
# speed), runs our engine on the same inputs and noise for each attention path (FVS_ATTENTION) with
# per-stage times (FVS_PROFILE) and compares with the reference, then upscales a clip end to end
# with `flashvsr upscale` (whole pipeline: decode, engine, encode) sampling GPU memory.
# Usage: packaging/gpu/bench_engine.sh OUTDIR [FRAMES] [MODES] [CLIP_FRAMES]
set -uo pipefail
out=${1:?OUTDIR}; frames=${2:-61}; modes=${3:-"runs gather"}; clipFrames=${4:-240}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); cd "$root"
step() { echo "== $(date -u +%H:%M:%S) $*"; }
step build
(time bash packaging/gpu/build.sh) >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
export LD_LIBRARY_PATH=/opt/fvs-ffmpeg/lib:${LD_LIBRARY_PATH:-} PYTHONUNBUFFERED=1
fvs=build/cuda/app/flashvsr ref=/tmp/fvs-ref ff=/opt/fvs-ffmpeg/bin/ffmpeg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
step reference
if [[ ! -f $ref/summary.json ]]; then
  python3 tests/parity/tools/gpu_reference.py .ref/FlashVSR --out $ref --frames "$frames" \
    --attention flex --save-fp16 >"$out/reference.log" 2>&1 || { tail -30 "$out/reference.log"; exit 1; }
fi
echo v1.1 >$ref/model/flashvsr_version.txt
python3 -c "import json,sys; s=json.load(open('$ref/summary.json')); print('reference steady', s['steady'], 'peak GiB', s['run']['peak_mem_gib'])"
opts=version=v1.1,dtype=bf16,device=cuda,sparse_ratio=2.0,kv_ratio=3.0,local_range=11
for mode in $modes; do
  step "ours, attention $mode"
  FVS_ATTENTION=$mode FVS_PROFILE=1 $fvs debug run --models $ref/model --frames $ref/inputs.safetensors \
    --noise $ref/inputs.safetensors --options $opts --out /tmp/ours_$mode.safetensors >"$out/debug_$mode.log" 2>&1
  echo "rc=$?"; grep '^profile' "$out/debug_$mode.log" | tail -2
  python3 tests/parity/tools/compare_outputs.py $ref/output.safetensors:output.frames_fp16 \
    /tmp/ours_$mode.safetensors:output.frames --json "$out/compare_$mode.json" | grep -E "psnr_mean|worst|rel_a"
done
step "upscale end to end ($clipFrames frames, 352x192 -> 1408x768, ffv1)"
$ff -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=352x192:rate=24 -f lavfi \
  -i sine=frequency=440:sample_rate=48000 -frames:v "$clipFrames" -c:v ffv1 -c:a flac -shortest /tmp/clip.mkv
for mode in ${modes%% *}; do
  (while sleep 0.5; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits; done) >/tmp/mem.txt &
  sampler=$!
  FVS_ATTENTION=$mode /usr/bin/time -v $fvs upscale /tmp/clip.mkv --engine flashvsr --models $ref/model \
    --codec ffv1 -o /tmp/up.mkv --overwrite --progress json >"$out/upscale_$mode.log" 2>&1; echo "upscale rc=$?"
  kill $sampler
  grep '^{' "$out/upscale_$mode.log" | tail -2 | cut -c1-300
  grep -E "Maximum resident|Elapsed" "$out/upscale_$mode.log"
  echo "GPU memory peak (MiB, nvidia-smi, whole process): $(sort -n /tmp/mem.txt | tail -1)"
  $fvs probe /tmp/up.mkv | python3 -c "import json,sys; v=json.load(sys.stdin)['video']; print({k: v.get(k) for k in ('width','height','frame_count','codec')})"
done
step done
(cd "$out" && tar czf logs.tgz ./*.log && rm -f ./*.log)
