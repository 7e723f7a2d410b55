#!/usr/bin/env bash
# Runs ON THE GPU MACHINE, in the repository root, after staging (README.md): issue 15 in one call (~5 minutes).
# 1. The GPU tests of healing and per-row failures: CudaHealingTest (an injected exception and an out-of-memory
#    step, both survived with the results of an undisturbed run), CudaDeviceLostTest (an illegal address from an
#    embedding table at address 0, in a JVM of its own: every request fails naming the lost device) and
#    CudaSamplingTest (a NaN row fails alone among device-drawn, host-drawn and scored rows); reports under
#    $OUT/junit-resilience.
# 2. tools/gpu/estimate-check.sh: flood bench calibrates, flood estimate against flood generate (PASS within 30%).
#   bash tools/gpu/run-resilience.sh .device/part-N
set -uo pipefail
part=${1:?usage: run-resilience.sh .device/part-N (the last staged part)}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
rm -rf "$tests_dir" && mkdir -p "$tests_dir"
python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
timeout 240 bash "$part/on-device.sh" -- -Xmx32g -XX:+UseParallelGC -cp "$tests_dir:/tmp/flood/lib/*" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree --include-tag gpu \
  --select-class dev.flood.backend.cuda.CudaHealingTest --select-class dev.flood.backend.cuda.CudaDeviceLostTest \
  --select-class dev.flood.backend.cuda.CudaSamplingTest \
  --reports-dir "$out/junit-resilience" > "$out/resilience-tests.txt" 2>&1
rc=$?
awk '/^Failures \(/,0' "$out/resilience-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -80
grep -E "tests (successful|failed|aborted|skipped)" "$out/resilience-tests.txt"
echo "resilience GPU tests exit code: $rc (124 = timed out)"
echo
bash tools/gpu/estimate-check.sh "$part"
