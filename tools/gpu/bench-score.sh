#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): a scoring workload (S or S-long, docs/performance.md)
# through Flood's engine on the CUDA backend with dummy weights of a real shape, once per step budget given.
#   bash tools/gpu/bench-score.sh .device/part-N SHAPE WORKLOAD "BUDGETS" [extra flood score options...]
# BUDGETS is a space-separated list of --max-batch-tokens values, or "default" for the engine's own. SHAPE is a
# folder under flood-core/src/test/resources/shapes. Each run writes $OUT/score-SHAPE-WORKLOAD-BUDGET.json (the
# report) and .err; a line per run is printed last: tokens/s, failed texts, peak GPU memory.
set -uo pipefail
part=${1:?usage: bench-score.sh .device/part-N SHAPE WORKLOAD "BUDGETS" [flood score options]}
shape=${2:?shape}
workload=${3:?workload: S or S-long}
budgets=${4:?budgets, e.g. "2048 4096 8192 16384 32768" or default}
shift 4
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
summary=()
for budget in $budgets; do
  name="score-$shape-$workload-$budget"
  budget_option=()
  [ "$budget" != default ] && budget_option=(--max-batch-tokens "$budget")
  echo "== flood score --workload $workload, $shape, budget $budget"
  timeout 400 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main \
    score --model "flood-core/src/test/resources/shapes/$shape" --load-format dummy --backend cuda \
    --workload "$workload" --json "${budget_option[@]}" "$@" > "$out/$name.json" 2> "$out/$name.err"
  rc=$?
  tail -3 "$out/$name.err"
  line=$(python3 - "$out/$name.json" "$rc" <<'PY'
import json, sys
try:
    text = open(sys.argv[1]).read()  # on-device.sh's own line comes first
    r = json.loads(text[text.index('{'):])
    print(f"{r['workload']:7s} budget {r['max_batch_tokens']:6d}: {r['tokens_per_second']:10.1f} tokens/s, "
          f"{r['text_tokens']} tokens in {r['seconds']:.2f} s, {r['failed']} failed, {r['windows']} windows, "
          f"{r['steps']} steps, {r.get('engine_restarts', '?')} restarts, peak {r['peak_gpu_memory_gib']:.2f} GiB, cache {r['cache_capacity_tokens']} slots"
          + (f", first error: {r['first_error']}" if 'first_error' in r else ""))
except Exception as e:
    print(f"no report (exit code {sys.argv[2]}): {e}")
PY
)
  summary+=("$shape $line")
done
echo
echo "== summary"
printf '%s\n' "${summary[@]}"
