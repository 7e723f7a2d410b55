#!/usr/bin/env bash
# Runs ON THE GPU MACHINE, in the repository root, after staging (README.md): the GPU tests of scoring only
# (the chunked lm_head op; sliding windows on the CUDA engine, one step at a time, with steps in flight and in two
# stages on GPU 0; the engine against transformers).
#   bash tools/gpu/run-scoring-tests.sh .device/part-N
# Reports under $OUT/junit-scoring; prints the measured errors, the failures and the counts.
set -uo pipefail
part=${1:?usage: run-scoring-tests.sh .device/part-N (the last staged part)}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
rm -rf "$tests_dir" && mkdir -p "$tests_dir"
python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
timeout 420 bash "$part/on-device.sh" -- -Xmx32g -XX:+UseParallelGC -cp "$tests_dir:/tmp/flood/lib/*" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree --include-tag gpu \
  --select-class dev.flood.backend.cuda.CudaLmHeadLogprobsTest --select-class dev.flood.backend.cuda.CudaScoringTest \
  --select-class dev.flood.backend.cuda.CudaEngineTest --reports-dir "$out/junit-scoring" \
  > "$out/scoring-tests.txt" 2>&1
rc=$?
grep -E "relative error|workspace peak" "$out/scoring-tests.txt" | head -40
awk '/^Failures \(/,0' "$out/scoring-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -80
grep -E "tests (successful|failed|aborted|skipped)" "$out/scoring-tests.txt"
echo "scoring GPU tests exit code: $rc (124 = timed out)"
