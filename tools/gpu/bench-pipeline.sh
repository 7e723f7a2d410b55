#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): workload W through `flood bench` with steps in
# flight (the default, 2 on one stage) against one step at a time (--steps-in-flight 1), and through two stages
# on one GPU (--devices 0,0); then a table of output tokens/s and each stage's idle share between steps.
#   bash tools/gpu/bench-pipeline.sh .device/part-N 8b    (5 runs of about a minute each)
#   bash tools/gpu/bench-pipeline.sh .device/part-N 1b    (3 shorter runs)
# Results: $OUT/pipeline-NAME.json (one per run) and the table on stdout.
set -uo pipefail
part=${1:?usage: bench-pipeline.sh .device/part-N 8b|1b}
set_name=${2:?usage: bench-pipeline.sh .device/part-N 8b|1b}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"

run() {  # NAME SHAPE PROMPTS [flood bench options...]
  local name=$1 shape=$2 prompts=$3
  shift 3
  echo "== $name"
  timeout 300 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main bench \
    --model "flood-core/src/test/resources/shapes/$shape" --load-format dummy --backend cuda \
    --prompts "$prompts" --json "$@" > "$out/pipeline-$name.json" 2> "$out/pipeline-$name.err"
  echo "exit code: $?"
  tail -3 "$out/pipeline-$name.err"
}

case "$set_name" in
  8b)
    run 8b-256-serial   llama-3.1-8b 1024 --max-running 256 --max-batch-tokens 8192 --steps-in-flight 1
    run 8b-256-overlap  llama-3.1-8b 1024 --max-running 256 --max-batch-tokens 8192
    run 8b-512-serial   llama-3.1-8b 1024 --max-running 512 --max-batch-tokens 16384 --steps-in-flight 1
    run 8b-512-overlap  llama-3.1-8b 1024 --max-running 512 --max-batch-tokens 16384
    run 8b-256-2stages  llama-3.1-8b 1024 --max-running 256 --max-batch-tokens 8192 --devices 0,0
    ;;
  1b)
    run 1b-256-serial   llama-3.2-1b 1024 --max-running 256 --max-batch-tokens 8192 --steps-in-flight 1
    run 1b-256-overlap  llama-3.2-1b 1024 --max-running 256 --max-batch-tokens 8192
    run 1b-512-overlap  llama-3.2-1b 1024 --max-running 512 --max-batch-tokens 16384
    ;;
  *) echo "unknown set '$set_name': 8b or 1b" >&2; exit 2 ;;
esac

echo
echo "== summary"
python3 - "$out" <<'PY'
import json, pathlib, sys
print(f"{'run':18} {'in flight':>9} {'out tok/s':>10} {'tpot p50 ms':>11}  idle share per stage")
for path in sorted(pathlib.Path(sys.argv[1]).glob("pipeline-*.json")):
    try:
        text = path.read_text()  # on-device.sh's own line comes first
        r = json.loads(text[text.index('{'):])
    except ValueError:
        print(f"{path.stem[9:]:18} (no report: see {path.with_suffix('.err').name})")
        continue
    shares = ", ".join(f"{100 * s['idle_share']:.1f}% ({s['layers']})" for s in r["stages"])
    print(f"{path.stem[9:]:18} {r['steps_in_flight']:>9} {r['output_tokens_per_second']:>10.0f} "
          f"{r['tpot_ms']['p50']:>11.2f}  {shares}")
PY
