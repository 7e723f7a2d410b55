#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): issue 10's measurements, one group per call.
#   bash tools/gpu/speed.sh .device/part-N profile   # step profiles (flood bench --profile), about 4 minutes
#   bash tools/gpu/speed.sh .device/part-N bench     # workload W, default settings, 3 runs, about 5 minutes
# profile: Llama-3.1-8B bf16 at 256 running (8,192-token steps) and 512 (16,384), FP8 at 256, 8B with the
#          automatic limits, Llama-3.2-1B with the automatic limits. Tables in $OUT/profile-*.txt.
# bench:   workload W (1,024 prompts x 256 tokens) with default settings: 8B bf16, 8B FP8, 1B bf16; the JSON
#          reports in $OUT/bench-*.json, and a summary line each (output tok/s, chosen limits).
set -uo pipefail
part=${1:?usage: speed.sh .device/part-N profile|bench}
mode=${2:?usage: speed.sh .device/part-N profile|bench}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
shapes=flood-core/src/test/resources/shapes

# flood SECONDS NAME bench-options...: one `flood bench` with dummy weights on the CUDA backend.
flood() {
  local seconds=$1 name=$2
  shift 2
  timeout "$seconds" bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" \
    dev.flood.cli.Main bench --load-format dummy --backend cuda "$@" > "$out/$name" 2> "$out/$name.err"
  local rc=$?
  echo "== $name: exit code $rc (124 = timed out)"
  grep -E "flood:|error" "$out/$name.err" | tail -3
}

case $mode in
  profile)
    flood 150 profile-8b-256-bf16.txt --model "$shapes/llama-3.1-8b" --profile --max-running 256 --max-batch-tokens 8192
    flood 150 profile-8b-512-bf16.txt --model "$shapes/llama-3.1-8b" --profile --max-running 512 \
      --max-batch-tokens 16384
    flood 150 profile-8b-256-fp8.txt --model "$shapes/llama-3.1-8b" --profile --max-running 256 \
      --max-batch-tokens 8192 --quantization fp8
    flood 150 profile-8b-auto-bf16.txt --model "$shapes/llama-3.1-8b" --profile
    flood 120 profile-1b-auto-bf16.txt --model "$shapes/llama-3.2-1b" --profile
    for f in "$out"/profile-*.txt; do echo; cat "$f"; done
    ;;
  bench)
    flood 200 bench-8b-bf16.json --model "$shapes/llama-3.1-8b" --json
    flood 200 bench-8b-fp8.json --model "$shapes/llama-3.1-8b" --json --quantization fp8
    flood 120 bench-1b-bf16.json --model "$shapes/llama-3.2-1b" --json
    echo
    for f in "$out"/bench-*.json; do
      python3 -c "import json,sys; t=open(sys.argv[1]).read(); r=json.loads(t[t.index('{'):]); print(sys.argv[1].rsplit('/',1)[-1],
        'output tok/s %.0f' % r['output_tokens_per_second'], 'total %.0f' % r['total_tokens_per_second'],
        'running', r['max_running'], 'budget', r['max_batch_tokens'], 'TPOT p50 %.1f ms' % r['tpot_ms']['p50'],
        'peak GPU %.1f GiB' % r['peak_gpu_memory_gib'])" "$f" 2>/dev/null || echo "$f: no report"
    done
    ;;
  *)
    echo "speed.sh: mode must be profile or bench, got $mode" >&2
    exit 2
    ;;
esac
