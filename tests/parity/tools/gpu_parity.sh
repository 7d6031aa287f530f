#!/usr/bin/env bash
# One device call on the GPU machine: build the `cuda` preset, run the official reference at full size
# with random weights in the release formats (gpu_reference.py), run our engine on the same inputs and
# noise (`flashvsr debug run`), compare, then upscale a clip end to end with `flashvsr upscale --engine
# flashvsr`. Needs the reference checkout carried as .ref/FlashVSR and .gpu/ (packaging/gpu/build.sh).
# Also the per-block check (`flashvsr debug block` on the reference's chunk-1 taps, masks injected)
# and, with FULL=1, the Full (Wan VAE decoder) pipeline end to end.
# Usage: [FULL=1] tests/parity/tools/gpu_parity.sh OUTDIR [FRAMES]
set -uo pipefail
out=${1:?OUTDIR}; frames=${2:-61}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd); cd "$root"
source packaging/gpu/common.sh
export PYTHONUNBUFFERED=1
ref=/tmp/fvs-ref; ours=/tmp/fvs-ours; mkdir -p $ours

step build
fvs_build "$out" 50 || exit 1
fvs_env
fvs_gpu_info

step reference
fvs_reference "$out" $ref "$frames" --taps --taps-chunk 1 || exit 1
cp $ref/summary.json "$out/reference_summary.json"

step "ours (bf16, CUDA)"
opts=version=v1.1,dtype=bf16,device=cuda,sparse_ratio=2.0,kv_ratio=3.0,local_range=11
/usr/bin/time -v $fvs debug run --models $ref/model --frames $ref/inputs.safetensors \
  --noise $ref/inputs.safetensors --options $opts --out $ours/out.safetensors \
  >"$out/ours.log" 2>&1; rc=$?; tail -25 "$out/ours.log"
if [[ $rc == 0 ]]; then
  step compare
  fvs_compare $ref/output.safetensors:output.frames_fp16 $ours/out.safetensors:output.frames \
    "$out/compare.json" | tail -5
  step "ours again (repeatability)"
  $fvs debug run --models $ref/model --frames $ref/inputs.safetensors --noise $ref/inputs.safetensors \
    --options $opts --out $ours/out2.safetensors >"$out/ours2.log" 2>&1 &&
    fvs_compare $ours/out.safetensors:output.frames $ours/out2.safetensors:output.frames \
      "$out/repeat.json" | tail -3
fi

step "block check (bf16, CUDA, the reference's masks injected; chunk 1, first and last block)"
$fvs debug block --models $ref/model --taps $ref/taps.safetensors --options $opts \
  --json "$out/block_check.json" >"$out/block.log" 2>&1; echo "debug block rc=$?"
tail -6 "$out/block.log"

if [[ ${FULL:-0} == 1 ]]; then
  step "full decoder: reference (Full pipeline, Wan VAE, tiled=False)"
  reff=/tmp/fvs-ref-full; mkdir -p $reff; ln -sfn $ref/model $reff/model
  python3 tests/parity/tools/gpu_reference.py .ref/FlashVSR --out $reff --skip-weights \
    --frames "$frames" --attention flex --save-fp16 --decoder full --no-repeat \
    >"$out/reference_full.log" 2>&1 &&
    cp $reff/summary.json "$out/reference_full_summary.json" || tail -30 "$out/reference_full.log"
  step "full decoder: ours"
  $fvs debug run --models $ref/model --frames $ref/inputs.safetensors --noise $ref/inputs.safetensors \
    --options $opts,decoder=full --out $ours/out_full.safetensors >"$out/ours_full.log" 2>&1 &&
    fvs_compare $reff/output.safetensors:output.frames_fp16 $ours/out_full.safetensors:output.frames \
      "$out/compare_full.json" | tail -5
  rm -f $ours/out_full.safetensors
fi

step "models check"
$fvs models check $ref/model >"$out/models_check.txt" 2>&1; echo "models check rc=$?"
head -12 "$out/models_check.txt"

step "upscale end to end (240 frames, ffv1: the lent H100/H200 have no NVENC engine)"
ff=/opt/fvs-ffmpeg/bin/ffmpeg
fvs_clip $ff /tmp/clip.mkv 24 -f lavfi -i sine=frequency=440:sample_rate=48000 -frames:v 240 -t 10 \
  -c:v ffv1 -c:a flac
fvs_mem_start
/usr/bin/time -v $fvs upscale /tmp/clip.mkv --engine flashvsr --models $ref/model --codec ffv1 \
  -o /tmp/clip.flashvsr-x4.mkv --overwrite --progress json >"$out/upscale.log" 2>&1; echo "upscale rc=$?"
echo "GPU memory peak (MiB, nvidia-smi every 0.5 s): $(fvs_mem_stop)"
grep -v '^{' "$out/upscale.log" | head -20 | cut -c1-400; grep '^{' "$out/upscale.log" | tail -2 | cut -c1-400
grep -E "Maximum resident|Elapsed" "$out/upscale.log"
$fvs probe /tmp/clip.mkv >"$out/probe_in.json" 2>&1
$fvs probe /tmp/clip.flashvsr-x4.mkv >"$out/probe_out.json" 2>&1
python3 - "$out" <<'PY'
import json, sys
o = sys.argv[1]
for n in ("probe_in", "probe_out"):
    try:
        j = json.load(open(f"{o}/{n}.json"))
        print(n, {k: j.get("video", {}).get(k) for k in ("width", "height", "frame_count", "duration_us", "codec")})
    except Exception as e:
        print(n, "unreadable:", e)
PY
step done
# The device tool brings back at most 8 files: keep the summaries, pack the logs.
# Kept: reference_summary.json, compare.json, block_check.json, logs.tgz (+ with FULL=1
# reference_full_summary.json, compare_full.json).
(cd "$out" && tar czf logs.tgz ./*.log ./*.txt ./probe_*.json ./repeat.json 2>/dev/null &&
  rm -f ./*.log ./*.txt ./probe_*.json ./repeat.json)
