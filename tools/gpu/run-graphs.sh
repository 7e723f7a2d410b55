#!/usr/bin/env bash
# Runs ON THE GPU MACHINE, in the repository root, after staging (README.md): CUDA graphs for decode steps.
#   bash tools/gpu/run-graphs.sh .device/part-N tests
#   bash tools/gpu/run-graphs.sh .device/part-N llama-3.2-1b    (or llama-3.1-8b: a shape under test resources)
# tests: CudaGraphsTest (decode logits bit for bit with and without graphs), CudaGraphsEngineTest (generation on
#        the fixtures and the demo model, one step at a time and with steps in flight), BenchGraphsTest (bench on W's
#        first 256 prompts with and without graphs); reports under $OUT/junit-graphs.
# SHAPE: workload W (1,024 prompts) on that shape, dummy weights, default settings, with graphs (the default) and
#        with --cuda-graphs off; $OUT/graphs-SHAPE-on|off.json and .err (the .err of "on" ends with the line
#        "N decode steps ran as CUDA graphs"). One call per shape keeps each under 10 minutes.
set -uo pipefail
part=${1:?usage: run-graphs.sh .device/part-N tests|SHAPE}
what=${2:?tests, or a shape such as llama-3.2-1b}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
bash "$part/on-device.sh" >/dev/null

if [ "$what" = tests ]; then
  tests_dir=/tmp/flood/tests
  rm -rf "$tests_dir" && mkdir -p "$tests_dir"
  python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
  echo "== CUDA graphs tests"
  timeout 400 bash "$part/on-device.sh" -- -Xmx32g -XX:+UseParallelGC -cp "$tests_dir:/tmp/flood/lib/*" \
    org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree --include-tag gpu \
    --select-class dev.flood.backend.cuda.CudaGraphsTest --select-class dev.flood.backend.cuda.CudaGraphsEngineTest \
    --select-class dev.flood.cli.BenchGraphsTest --reports-dir "$out/junit-graphs" > "$out/graphs-tests.txt" 2>&1
  rc=$?
  grep -E "Stats\[|bit for bit equal|parts at step|cuda graphs (on|off):|decode steps ran as" "$out/graphs-tests.txt" \
    | head -60
  awk '/^Failures \(/,0' "$out/graphs-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -80
  grep -E "tests (successful|failed|aborted|skipped)" "$out/graphs-tests.txt"
  echo "CUDA graphs tests exit code: $rc (124 = timed out)"
else
  shape=$what
  for graphs in on off; do
    echo "== flood bench $shape, W (1,024 prompts), --cuda-graphs $graphs"
    timeout 280 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main \
      bench --model "flood-core/src/test/resources/shapes/$shape" --load-format dummy --backend cuda --json \
      --cuda-graphs "$graphs" > "$out/graphs-$shape-$graphs.json" 2> "$out/graphs-$shape-$graphs.err"
    echo "exit code: $?"
    grep -E "decode steps ran as|steps of" "$out/graphs-$shape-$graphs.err" | tail -3
    python3 - "$out/graphs-$shape-$graphs.json" <<'PY' 2>/dev/null || tail -5 "$out/graphs-$shape-$graphs.err"
import json, sys
t = open(sys.argv[1]).read()
r = json.loads(t[t.index('{'):])   # past on-device.sh's first line
print('output tok/s %.0f, steps %d, mean running %.1f, idle %.1f%%, cuda_graphs %s' % (
    r['output_tokens_per_second'], r['steps'], r['mean_running_batch'], 100 * r['idle_share'], r['cuda_graphs']))
PY
  done
fi
