#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): the pipeline's GPU tests by class,
# CudaPipelineTest (fixtures) and PipelineWorkloadTest (workload W's first 64 prompts on the 8B shape).
#   bash tools/gpu/run-pipeline-tests.sh .device/part-N
# Reports under $OUT/junit-pipeline; output in $OUT/pipeline-tests.txt; a summary last.
set -uo pipefail
part=${1:?usage: run-pipeline-tests.sh .device/part-N (the last staged part)}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"

tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
rm -rf "$tests_dir" && mkdir -p "$tests_dir"
python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"

timeout 540 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "$tests_dir:/tmp/flood/lib/*" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree \
  --select-class dev.flood.backend.cuda.CudaPipelineTest --select-class dev.flood.cli.PipelineWorkloadTest \
  --include-tag gpu --reports-dir "$out/junit-pipeline" > "$out/pipeline-tests.txt" 2>&1
rc=$?
grep -E "stage\(s\)|parted|idle|StageMetrics" "$out/pipeline-tests.txt" | head -60
awk '/^Failures \(/,0' "$out/pipeline-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -80
echo
echo "== summary"
grep -E "tests (successful|failed|aborted|skipped)" "$out/pipeline-tests.txt"
echo "exit code: $rc (124 = timed out)"
