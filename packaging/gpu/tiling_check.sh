#!/usr/bin/env bash
# Spatial tiling and the memory planner on the GPU machine (issue 11 §1, §2), one device call
# (carry .gpu and .ref): build; random full-size release-format weights from the official
# pipeline's folder; (1) the seam curve: a 352x192 clip ×4 (1408x768) whole-frame, then as 2x2
# tiles of 768x512 (FVS_TILE) for several overlaps, each compared with the whole frame
# (seam_psnr.py: PSNR in the interiors and in the overlaps, seam gradient-energy ratio); (2) the
# planner against measured peaks: for each output size, `--plan` JSON (needed + weights) and the
# run's nvidia-smi peak, whole frame and under --memory-budget (simulated 24/16/12 GB cards).
# Results: OUTDIR/seams.jsonl, OUTDIR/peaks.tsv (and the logs in logs.tgz).
# Usage: packaging/gpu/tiling_check.sh OUTDIR [FRAMES] [OVERLAPS] [SIZES] [BUDGETS]
#   FRAMES clip length (default 45), OVERLAPS "32 64 128 256" ("-": no seam curve), SIZES input sizes ×4
#   "352x192 480x270 640x360 960x540", BUDGETS GiB "0 24 16 12" (0 = the whole device)
set -uo pipefail
out=${1:?OUTDIR}; frames=${2:-45}; overlaps=${3:-"32 64 128 256"}
sizes=${4:-"352x192 480x270 640x360 960x540"}; budgets=${5:-"0 24 16 12"}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); cd "$root"
source packaging/gpu/common.sh
export PYTHONUNBUFFERED=1
ref=/tmp/fvs-ref ff=/opt/fvs-ffmpeg/bin/ffmpeg
mkdir -p "$out"
step build
fvs_build "$out" 50 || exit 1
fvs_env
fvs_gpu_info
git log -1 --format='commit %h %cd' 2>/dev/null || true
step "random full-size weights (official pipeline, 21 frames)"
fvs_reference "$out" $ref 21 || exit 1
models=$ref/model
common=(--engine flashvsr --models "$models" --codec ffv1 --overwrite)

if [[ $overlaps != - ]]; then
step "seam curve: 1408x768 whole frame vs 2x2 tiles of 768x512"
fvs_clip $ff /tmp/seam.mkv 24 -frames:v "$frames" -c:v ffv1
$fvs upscale /tmp/seam.mkv "${common[@]}" -o /tmp/seam-whole.mkv --progress none \
  >"$out/seam-whole.log" 2>&1; echo "whole rc=$?"
: >"$out/seams.jsonl"
for o in $overlaps; do
  FVS_TILE=768x512 $fvs upscale /tmp/seam.mkv "${common[@]}" --tile-overlap "$o" --plan \
    --progress json >/tmp/seam-plan-$o.json 2>>"$out/seam-$o.log"
  FVS_TILE=768x512 $fvs upscale /tmp/seam.mkv "${common[@]}" --tile-overlap "$o" \
    -o /tmp/seam-tiled-$o.mkv --progress none >>"$out/seam-$o.log" 2>&1; echo "overlap $o rc=$?"
  python3 packaging/gpu/seam_psnr.py /tmp/seam-whole.mkv /tmp/seam-tiled-$o.mkv \
    /tmp/seam-plan-$o.json --ffmpeg $ff | tee -a "$out/seams.jsonl"
done
fi

step "planner vs measured peaks"
printf 'input\toutput\tbudget_gib\tplan\tpredicted_mib\tpeak_mib\trc\tfps\tframes_out\n' >"$out/peaks.tsv"
for s in $sizes; do
  fvs_clip_size() { "$ff" -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=$s:rate=24" \
    -frames:v "$frames" -c:v ffv1 "/tmp/peak-$s.mkv"; }
  fvs_clip_size
  for b in $budgets; do
    budget=(); [[ $b != 0 ]] && budget=(--memory-budget "$b")
    plan=$($fvs upscale /tmp/peak-$s.mkv "${common[@]}" "${budget[@]}" --plan --progress json 2>&1 | grep '^{' | tail -1)
    echo "$s budget $b: $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['summary'])" "$plan")"
    fvs_mem_start
    $fvs upscale /tmp/peak-$s.mkv "${common[@]}" "${budget[@]}" -o /tmp/peak-out.mkv \
      --progress json >"$out/peak-$s-$b.log" 2>&1; rc=$?
    peak=$(fvs_mem_stop)
    fps=$(grep '"event":"end"' "$out/peak-$s-$b.log" | tail -1 | python3 -c "import json,sys; l=sys.stdin.read().strip(); print(json.loads(l).get('fps', '') if l else '')")
    frames_out=$($fvs probe /tmp/peak-out.mkv 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['video'].get('frame_count'))" 2>/dev/null)
    [[ $rc == 0 ]] || grep -v '"event":"progress"' "$out/peak-$s-$b.log" | tail -3 | cut -c1-400
    python3 - "$plan" "$s" "$b" "$peak" "$rc" "$fps" "$frames_out" >>"$out/peaks.tsv" <<'PY'
import json, sys
p = json.loads(sys.argv[1]); mib = 1 << 20
# What the process should peak at: the sessions, the weights and (counted under a budget) the
# CUDA runtime's share.
predicted = (p.get("neededBytes", 0) + p.get("weightBytes", 0) + p.get("runtimeBytes", 0)) / mib
park = " parked" if p.get("parkIdleTiles") else ""
print("\t".join([sys.argv[2], f'{p["width"]}x{p["height"]}', sys.argv[3],
                 f'{p.get("plan")} {p.get("columns")}x{p.get("rows")}{park}', f"{predicted:.0f}",
                 sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]]))
PY
    tail -1 "$out/peaks.tsv"
  done
done
step done
(cd "$out" && tar czf logs.tgz ./*.log && rm -f ./*.log)
