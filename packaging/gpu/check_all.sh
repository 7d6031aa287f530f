#!/usr/bin/env bash
# Everything the engine work needs verified on the GPU machine in one device call (carry .gpu and
# .ref): build; the paged-attention check (`flashvsr debug attention`); the official pipeline at full
# size on random release-format weights, with chunk-1 taps; our engine on the same inputs and noise
# (per-stage profile, PSNR vs the reference, repeatability); the per-block check with the
# reference's masks injected; a 240-frame `flashvsr upscale` end to end with the GPU memory peak;
# and the engines named in EXTRA_BENCH (e.g. "realesrgan") through `flashvsr bench`.
# Usage: packaging/gpu/check_all.sh OUTDIR [FRAMES] [CLIP_FRAMES]
set -uo pipefail
out=${1:?OUTDIR}; frames=${2:-61}; clipFrames=${3:-240}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); cd "$root"
source packaging/gpu/common.sh
export PYTHONUNBUFFERED=1
ref=/tmp/fvs-ref ff=/opt/fvs-ffmpeg/bin/ffmpeg
opts=version=v1.1,dtype=bf16,device=cuda,sparse_ratio=2.0,kv_ratio=3.0,local_range=11
step build
fvs_build "$out" 50 || exit 1
fvs_env
fvs_gpu_info
git log -1 --format='commit %h %cd' 2>/dev/null || true
step "paged attention check"
timeout 120 $fvs debug attention 2>&1 | tee "$out/attention.txt"
step reference
fvs_reference "$out" $ref "$frames" --taps --taps-chunk 1 || exit 1
python3 -c "import json; s=json.load(open('$ref/summary.json')); print('reference steady', s['steady'], 'peak GiB', s['run']['peak_mem_gib'])"
step "ours (profiled)"
FVS_PROFILE=1 $fvs debug run --models $ref/model --frames $ref/inputs.safetensors \
  --noise $ref/inputs.safetensors --options $opts --out /tmp/ours.safetensors >"$out/ours.log" 2>&1
echo "rc=$?"; grep -A1 '^profile chunk [45]' "$out/ours.log"
fvs_compare $ref/output.safetensors:output.frames_fp16 /tmp/ours.safetensors:output.frames \
  "$out/compare.json" | grep -E "psnr_mean|worst|rel_a"
step "ours again, unprofiled (repeatability)"
$fvs debug run --models $ref/model --frames $ref/inputs.safetensors --noise $ref/inputs.safetensors \
  --options $opts --out /tmp/ours2.safetensors >"$out/ours2.log" 2>&1 &&
  fvs_compare /tmp/ours.safetensors:output.frames /tmp/ours2.safetensors:output.frames \
    "$out/repeat.json" | grep -E "psnr_mean|max_abs"
step "block check (chunk 1, the reference's masks injected)"
$fvs debug block --models $ref/model --taps $ref/taps.safetensors --options $opts \
  --json "$out/block_check.json" >"$out/block.log" 2>&1; echo "debug block rc=$?"
tail -4 "$out/block.log"
step "upscale end to end ($clipFrames frames, 352x192 -> 1408x768, ffv1)"
fvs_clip $ff /tmp/clip.mkv 24 -f lavfi -i sine=frequency=440:sample_rate=48000 -frames:v "$clipFrames" \
  -c:v ffv1 -c:a flac -shortest
fvs_mem_start
/usr/bin/time -v $fvs upscale /tmp/clip.mkv --engine flashvsr --models $ref/model --codec ffv1 \
  -o /tmp/up.mkv --overwrite --progress json >"$out/upscale.log" 2>&1; echo "upscale rc=$?"
peak=$(fvs_mem_stop)
grep '^{' "$out/upscale.log" | tail -2 | cut -c1-300
grep -E "Maximum resident|Elapsed" "$out/upscale.log"
echo "GPU memory peak (MiB, nvidia-smi, whole process): $peak"
$fvs probe /tmp/up.mkv | python3 -c "import json,sys; v=json.load(sys.stdin)['video']; print({k: v.get(k) for k in ('width','height','frame_count','codec')})"
for engine in ${EXTRA_BENCH:-}; do
  step "bench $engine"
  timeout 120 $fvs bench --engine "$engine" --device cuda 2>&1 | tail -12
done
step done
(cd "$out" && tar czf logs.tgz ./*.log && rm -f ./*.log)
