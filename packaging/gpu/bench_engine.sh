#!/usr/bin/env bash
# FlashVSR engine benchmark on the lent GPU machine (one device call, carry .gpu and .ref):
# builds the `cuda` preset, writes random full-size v1.1 weights in the release formats and runs the
# official pipeline on them (tests/parity/tools/gpu_reference.py: its loop time is the reference
# speed), runs our engine on the same inputs and noise for each attention path (FVS_ATTENTION) with
# per-stage times (FVS_PROFILE; both read once by the CLI and mapped to its stream options, as
# --options attention=MODE,profile=1 would) and compares with the reference, then upscales a clip end to end
# with `flashvsr upscale` (whole pipeline: decode, engine, encode) sampling GPU memory.
# Usage: packaging/gpu/bench_engine.sh OUTDIR [FRAMES] [MODES] [CLIP_FRAMES]
set -uo pipefail
out=${1:?OUTDIR}; frames=${2:-61}; modes=${3:-"runs gather"}; clipFrames=${4:-240}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); cd "$root"
source packaging/gpu/common.sh
step build
fvs_build "$out" || exit 1
fvs_env
export PYTHONUNBUFFERED=1
ref=/tmp/fvs-ref ff=/opt/fvs-ffmpeg/bin/ffmpeg
fvs_gpu_info
step reference
if [[ ! -f $ref/summary.json ]]; then
  fvs_reference "$out" $ref "$frames" || exit 1
fi
echo v1.1 >$ref/model/flashvsr_version.txt
python3 -c "import json,sys; s=json.load(open('$ref/summary.json')); print('reference steady', s['steady'], 'peak GiB', s['run']['peak_mem_gib'])"
opts=version=v1.1,dtype=bf16,device=cuda,sparse_ratio=2.0,kv_ratio=3.0,local_range=11
for mode in $modes; do
  step "ours, attention $mode"
  FVS_ATTENTION=$mode FVS_PROFILE=1 $fvs debug run --models $ref/model --frames $ref/inputs.safetensors \
    --noise $ref/inputs.safetensors --options $opts --out /tmp/ours_$mode.safetensors >"$out/debug_$mode.log" 2>&1
  echo "rc=$?"; grep '^profile' "$out/debug_$mode.log" | tail -2
  fvs_compare $ref/output.safetensors:output.frames_fp16 /tmp/ours_$mode.safetensors:output.frames \
    "$out/compare_$mode.json" | grep -E "psnr_mean|worst|rel_a"
done
step "upscale end to end ($clipFrames frames, 352x192 -> 1408x768, ffv1)"
fvs_clip $ff /tmp/clip.mkv 24 -f lavfi -i sine=frequency=440:sample_rate=48000 -frames:v "$clipFrames" \
  -c:v ffv1 -c:a flac -shortest
for mode in ${modes%% *}; do
  fvs_mem_start
  FVS_ATTENTION=$mode /usr/bin/time -v $fvs upscale /tmp/clip.mkv --engine flashvsr --models $ref/model \
    --codec ffv1 -o /tmp/up.mkv --overwrite --progress json >"$out/upscale_$mode.log" 2>&1; echo "upscale rc=$?"
  peak=$(fvs_mem_stop)
  grep '^{' "$out/upscale_$mode.log" | tail -2 | cut -c1-300
  grep -E "Maximum resident|Elapsed" "$out/upscale_$mode.log"
  echo "GPU memory peak (MiB, nvidia-smi, whole process): $peak"
  $fvs probe /tmp/up.mkv | python3 -c "import json,sys; v=json.load(sys.stdin)['video']; print({k: v.get(k) for k in ('width','height','frame_count','codec')})"
done
step done
(cd "$out" && tar czf logs.tgz ./*.log && rm -f ./*.log)
