#!/usr/bin/env bash
# Runs every libFuzzer target of the `fuzz` preset for a bounded time on its committed seed corpus
# (tests/fuzz/corpus/<target>); what CI runs after the asan step (packaging/quickstart.sh test).
#   tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET] [TARGET...] [-- LIBFUZZER_ARGS...]
# Default: 60 s for each of the five targets. New inputs go to a scratch folder, never into the
# committed corpus. A crash, a leak, a UBSan report or a timeout fails the run (exit 1) and leaves
# the input in build/fuzz/artifacts/ (reproduce: build/fuzz/tests/fuzz/fuzz_<target> FILE).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$root/build/fuzz/tests/fuzz"
seconds=${1:-60}
shift || true
targets=()
while (($#)) && [[ $1 != -- ]]; do
  targets+=("$1")
  shift
done
[[ ${1:-} == -- ]] && shift
((${#targets[@]})) || targets=(safetensors pickle torch_archive queue_json media_probe)

artifacts="$root/build/fuzz/artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"
# Leaks inside LibTorch and the codec libraries are theirs (tests/fuzz/lsan.supp says which).
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1"
if [[ -x /usr/bin/llvm-symbolizer-14 ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
fi

failed=()
for t in "${targets[@]}"; do
  exe="$bin/fuzz_$t"
  [[ -x $exe ]] || { echo "fuzz: $exe is not built (cmake --build --preset fuzz)" >&2; exit 2; }
  mkdir -p "$scratch/$t"
  echo "fuzz: $t for ${seconds}s"
  # -timeout: one input taking 25 s is a hang; -rss_limit_mb: FFmpeg's biggest honest allocations
  # for a few-KB input stay far below it.
  if ! "$exe" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$t-" "$@" "$scratch/$t" "$root/tests/fuzz/corpus/$t" \
      >"$scratch/$t.log" 2>&1; then
    tail -n 60 "$scratch/$t.log" >&2
    failed+=("$t")
  fi
  grep -E '^stat::number_of_executed_units|^Done ' "$scratch/$t.log" || true
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $artifacts)" >&2
  exit 1
fi
echo "fuzz: no crash in ${targets[*]}"
