#!/usr/bin/env bash
# One device call that localises a numerical failure of the CUDA engine (docs/benchmarks.md,
# session 3: NaN frames from the second steady chunk on). Builds, makes the official pipeline's
# inputs and noise at full size on random release-format weights, then runs `flashvsr debug run`
# profiled once per A/B switch. Each profile line carries the chunk's non-finite LQ tokens and z0
# and its empty query blocks; a "non-finite hidden states after block B" line names the first
# block that went wrong. The variant that stays finite names the culprit.
# Usage: packaging/gpu/bisect_nan.sh OUTDIR [FRAMES]   (carry .gpu and .ref, as check_all.sh)
set -uo pipefail
out=${1:?OUTDIR}; frames=${2:-61}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); cd "$root"
source packaging/gpu/common.sh
export PYTHONUNBUFFERED=1
ref=/tmp/fvs-ref
opts=version=v1.1,dtype=bf16,device=cuda,sparse_ratio=2.0,kv_ratio=3.0,local_range=11
step build
fvs_build "$out" 50 || exit 1
fvs_env
fvs_gpu_info
git log -1 --format='commit %h %cd' 2>/dev/null || true
step reference
fvs_reference "$out" $ref "$frames" || exit 1
variants=(
  "default:"
  "overlap0:FVS_OVERLAP=0"
  "gather:FVS_ATTENTION=gather"
  "fused0:FVS_FUSED=0"
  "fold0:FVS_FOLD=0"
  "nchw:FVS_DECODER_NHWC=0"
  "serial-gather-plain:FVS_OVERLAP=0 FVS_ATTENTION=gather FVS_FUSED=0 FVS_FOLD=0"
)
for v in "${variants[@]}"; do
  name=${v%%:*} env=${v#*:}
  step "variant $name ($env)"
  env FVS_PROFILE=1 $env $fvs debug run --models $ref/model --frames $ref/inputs.safetensors \
    --noise $ref/inputs.safetensors --options $opts --out /tmp/$name.safetensors \
    >"$out/run_$name.log" 2>&1
  echo "rc=$?"
  grep -E '^non-finite|^frames in' "$out/run_$name.log"
  grep -oE '^profile chunk [0-9]+|non_finite_[a-z0-9_]+ [0-9]+|empty_query_blocks [0-9]+' \
    "$out/run_$name.log" | paste -sd' ' | sed 's/profile chunk/\nchunk/g'
  echo
  fvs_compare $ref/output.safetensors:output.frames_fp16 /tmp/$name.safetensors:output.frames \
    "$out/compare_$name.json" | grep -E "psnr_mean|worst"
  rm -f /tmp/$name.safetensors
done
step done
