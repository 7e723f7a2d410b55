#!/usr/bin/env bash
# Runs ON THE GPU MACHINE, in the repository root, as the last of the staging calls (tools/gpu/README.md):
#   bash tools/gpu/run-gpu.sh .device/part-N
# 1. every GPU-tagged test under dev.flood (FLOOD_TEST_PACKAGE narrows it; FLOOD_TEST_TIMEOUT, default 420 s) with JUnit's console launcher, reports under $OUT/junit;
# 2. the attention benchmark (decode bandwidth vs a device copy, prefill TFLOP/s); FLOOD_SKIP_BENCH=1 skips it.
# Prints a short summary last. Stays under ~9 minutes: tests get 4 (FP8 and profile tests added ~1), the
# benchmark 1.5.
set -uo pipefail
part=${1:?usage: run-gpu.sh .device/part-N (the last staged part)}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
java_opts=(-Xmx32g -XX:+UseParallelGC)

nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version,clocks.sm,clocks.max.sm --format=csv \
  | tee "$out/gpu.txt"

# The test jar carries the fixtures; tests read them as files, so unpack it ahead of the jars on the classpath.
tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
rm -rf "$tests_dir" && mkdir -p "$tests_dir"
python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
classpath="$tests_dir:/tmp/flood/lib/*"

echo "== GPU tests"
timeout "${FLOOD_TEST_TIMEOUT:-420}" bash "$part/on-device.sh" -- "${java_opts[@]}" -cp "$classpath" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree \
  --select-package "${FLOOD_TEST_PACKAGE:-dev.flood}" --include-tag gpu --reports-dir "$out/junit" \
  > "$out/gpu-tests.txt" 2>&1
tests_rc=$?
bench_rc=skipped
grep -E "relative error|parts at step|perplexity" "$out/gpu-tests.txt" | head -80
awk '/^Failures \(/,0' "$out/gpu-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -120

if [ "${FLOOD_SKIP_BENCH:-0}" != 1 ]; then
echo "== attention benchmark"
timeout 90 bash "$part/on-device.sh" -- "${java_opts[@]}" -cp "$classpath" dev.flood.backend.cuda.AttentionBenchmark \
  > "$out/attention-bench.txt" 2>&1
bench_rc=$?
tail -40 "$out/attention-bench.txt"
fi

echo
echo "== summary"
grep -E "tests (successful|failed|aborted|skipped)" "$out/gpu-tests.txt"
echo "GPU tests exit code: $tests_rc (124 = timed out); benchmark exit code: $bench_rc"
grep -E "^(device-to-device|decode|prefill)" "$out/attention-bench.txt"
