#!/usr/bin/env bash
# Runs ON THE GPU MACHINE, in the repository root, after staging (README.md): prefix caching's GPU tests only
# (CudaPrefixCachingTest: same greedy tokens with prefix caching on and off on every fixture model, cold and warm,
# CUDA graphs off and on; CudaAttentionTest: the attention kernels against the CPU reference, among them suffixes
# after an attached prefix extent and the very steps an engine with prefix caching runs). If the attention tests
# pass and the engine test fails, the fault is outside attention.
#   bash tools/gpu/run-prefix-tests.sh .device/part-N
# Reports under $OUT/junit-prefix; prints the tokens read from the cache, the failures and the counts.
set -uo pipefail
part=${1:?usage: run-prefix-tests.sh .device/part-N (the last staged part)}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
rm -rf "$tests_dir" && mkdir -p "$tests_dir"
python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
timeout 540 bash "$part/on-device.sh" -- -Xmx32g -XX:+UseParallelGC -cp "$tests_dir:/tmp/flood/lib/*" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree --include-tag gpu \
  --select-class dev.flood.backend.cuda.CudaAttentionTest --select-class dev.flood.backend.cuda.CudaPrefixCachingTest \
  --reports-dir "$out/junit-prefix" \
  > "$out/prefix-tests.txt" 2>&1
rc=$?
grep -E "read from the cache|parts at step" "$out/prefix-tests.txt" | head -40
awk '/^Failures \(/,0' "$out/prefix-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -80
grep -E "tests (successful|failed|aborted|skipped)" "$out/prefix-tests.txt"
echo "prefix caching GPU tests exit code: $rc (124 = timed out)"
