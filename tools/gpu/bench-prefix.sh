#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): issue 11's prefix caching benchmark, one workload
# per call (each about 4 to 6 minutes):
#   bash tools/gpu/bench-prefix.sh .device/part-N W-shared [extra flood bench options...]
#   bash tools/gpu/bench-prefix.sh .device/part-N W [extra flood bench options...]
# Two `flood bench` runs of the workload on Llama-3.1-8B (bf16 dummy weights, default settings): prefix caching on
# and off. JSON reports in $OUT/prefix-*.json, one summary line each, and the on/off ratio.
# Targets: W-shared output tok/s on >= 1.8x off; W on within 2% of W off (on at least 0.98x off).
set -uo pipefail
part=${1:?usage: bench-prefix.sh .device/part-N W-shared|W [flood bench options]}
workload=${2:?usage: bench-prefix.sh .device/part-N W-shared|W [flood bench options]}
shift 2
shape=llama-3.1-8b
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
shapes=flood-core/src/test/resources/shapes

# flood SECONDS NAME bench-options...: one `flood bench` with dummy weights on the CUDA backend.
flood() {
  local seconds=$1 name=$2
  shift 2
  timeout "$seconds" bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" \
    dev.flood.cli.Main bench --load-format dummy --backend cuda --model "$shapes/$shape" --json "$@" \
    > "$out/$name" 2> "$out/$name.err"
  local rc=$?
  echo "== $name: exit code $rc (124 = timed out)"
  grep -E "flood:|error" "$out/$name.err" | tail -3
}

flood 270 "prefix-$workload-on.json" --workload "$workload" "$@"
flood 270 "prefix-$workload-off.json" --workload "$workload" --no-prefix-caching "$@"
echo
for f in "$out/prefix-$workload"-*.json; do
  python3 -c "import json,sys; t=open(sys.argv[1]).read(); r=json.loads(t[t.index('{'):]); print(sys.argv[1].rsplit('/',1)[-1],
    'output tok/s %.0f' % r['output_tokens_per_second'], 'prompt tokens %d' % r['prompt_tokens'],
    'computed %d' % r['prompt_tokens_computed'], 'from cache %d' % r['prompt_tokens_from_cache'],
    'hit rate %.3f' % r['prefix_cache_hit_rate'], 'preemptions', r['preemptions'], 'restarts', r.get('engine_restarts'),
    'running', r['max_running'], 'budget', r['max_batch_tokens'])" "$f" 2>/dev/null || echo "$f: no report"
done
python3 - "$out" "$workload" <<'PY'
import json, sys
d, w = sys.argv[1], sys.argv[2]
def tps(mode):
    try:
        t = open(f"{d}/prefix-{w}-{mode}.json").read()   # on-device.sh may print a line before the report
        return json.loads(t[t.index("{"):])["output_tokens_per_second"]
    except Exception:
        return None
on, off = tps("on"), tps("off")
target = ">= 1.8x" if w == "W-shared" else ">= 0.98x"
print(f"{w} output tok/s, prefix caching on/off: " + ("%.3fx (target %s)" % (on / off, target) if on and off
      else "missing a report"))
PY
