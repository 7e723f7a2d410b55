#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): the GPU tests of the mixture-of-experts and
# sliding-window models by class, then the mixture-of-experts layer benchmark.
#   bash tools/gpu/run-models-tests.sh .device/part-N
# 1. CudaMoeTest (routing, grouped expert GEMM, combine against the CPU), CudaAttentionTest (sliding windows with both
#    prefill kernels among the rest), CudaModelTest and CudaEngineTest (every fixture, the MoE and sliding-window
#    ones included, against transformers and the CPU backend); reports under $OUT/junit-models;
# 2. MoeBenchmark: one Qwen3-30B-A3B layer per step shape, its expert GEMMs' time, share and rates.
# Prints a short summary last. Stays under ~9 minutes: tests get 7, the benchmark 2.
set -uo pipefail
part=${1:?usage: run-models-tests.sh .device/part-N (the last staged part)}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
java_opts=(-Xmx48g -XX:+UseParallelGC)

tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
rm -rf "$tests_dir" && mkdir -p "$tests_dir"
python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
classpath="$tests_dir:/tmp/flood/lib/*"

echo "== GPU tests of the models"
timeout 420 bash "$part/on-device.sh" -- "${java_opts[@]}" -cp "$classpath" \
  org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree \
  --select-class dev.flood.backend.cuda.CudaMoeTest --select-class dev.flood.backend.cuda.CudaAttentionTest \
  --select-class dev.flood.backend.cuda.CudaModelTest --select-class dev.flood.backend.cuda.CudaEngineTest \
  --include-tag gpu --reports-dir "$out/junit-models" > "$out/models-tests.txt" 2>&1
tests_rc=$?
grep -E "relative error|parts at step" "$out/models-tests.txt" | grep -E "moe|mixtral|mistral" | head -40
awk '/^Failures \(/,0' "$out/models-tests.txt" | grep -vE "^\s+(org\.junit|java\.base|jdk\.internal)" | head -120

echo "== mixture-of-experts layer benchmark"
timeout 120 bash "$part/on-device.sh" -- "${java_opts[@]}" -cp "$classpath" dev.flood.backend.cuda.MoeBenchmark \
  > "$out/moe-bench.txt" 2>&1
bench_rc=$?
tail -12 "$out/moe-bench.txt"

echo
echo "== summary"
grep -E "tests (successful|failed|aborted|skipped)" "$out/models-tests.txt"
echo "tests exit code: $tests_rc (124 = timed out); MoE benchmark exit code: $bench_rc"
grep -E "^(decode|prefill)" "$out/moe-bench.txt"
