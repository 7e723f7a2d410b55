#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): Nsight Compute on one launch of the Hopper prefill
# attention kernel for each case given, with AttentionBenchmark's single-case mode.
#   bash tools/gpu/ncu-attention.sh .device/part-N "HEAD_DIM LENGTHS" ["HEAD_DIM LENGTHS" ...]
# LENGTHS: comma-separated text lengths, or w (W's prompts in a 16,384-token step). Reports: $OUT/ncu-*.txt
# (speed of light, warp states, scheduler, memory), and the benchmark's own timing line.
set -uo pipefail
part=${1:?usage: ncu-attention.sh .device/part-N "HEAD_DIM LENGTHS" ...}
shift
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
tests_dir=/tmp/flood/tests
bash "$part/on-device.sh" >/dev/null
if [ ! -d "$tests_dir" ]; then
  mkdir -p "$tests_dir" && python3 -m zipfile -e /tmp/flood/lib/flood-core-0.1.0-SNAPSHOT-tests.jar "$tests_dir"
fi
ncu=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
for case in "$@"; do
  set -- $case
  name="ncu-d$1-${2//,/_}"
  echo "== $name"
  timeout 240 bash "$part/on-device.sh" -- -Xmx16g -cp "$tests_dir:/tmp/flood/lib/*" \
    dev.flood.backend.cuda.AttentionBenchmark prefill "$1" "$2" > "$out/$name-time.txt" 2>&1
  tail -1 "$out/$name-time.txt"
  # The on-device wrapper runs java; ncu follows it into the JVM and profiles the 4th prefill launch.
  timeout 300 "$ncu" --clock-control none --target-processes all -k regex:prefill_sm90 --launch-skip 3 \
    --launch-count 1 --section SpeedOfLight --section WarpStateStats --section SchedulerStats \
    --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section Occupancy --section InstructionStats \
    --metrics "regex:smsp__warp_issue_stalled_.*_per_warp_active\.pct,regex:sm__pipe_.*_cycles_active\.avg\.pct_of_peak_sustained_active,regex:sm__inst_executed_pipe_.*\.avg\.pct_of_peak_sustained_active" \
    bash "$part/on-device.sh" -- -Xmx16g -cp "$tests_dir:/tmp/flood/lib/*" \
    dev.flood.backend.cuda.AttentionBenchmark prefill "$1" "$2" > "$out/$name.txt" 2>&1
  echo "ncu exit code $?"
  grep -E "stalled|pipe_" "$out/$name.txt" | awk '$NF+0 >= 1' | sort -k3 -nr | head -40
  grep -E "Duration|Compute \(SM\) Throughput|Memory Throughput|DRAM Throughput|Issue Slots Busy|No Eligible|Active Warps Per|Eligible Warps|Warp Cycles Per Issued|L2 Hit Rate|Executed Ipc A" "$out/$name.txt" | head -20
done
