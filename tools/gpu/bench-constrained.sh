#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): workload W on a dummy-weight shape twice in one
# call, unconstrained and with every request held to a JSON schema, and prints both output tokens/s and their
# ratio (the target: constrained within 15% of unconstrained).
#   bash tools/gpu/bench-constrained.sh .device/part-N SHAPE PROMPTS [SCHEMA] [extra flood bench options...]
# SCHEMA defaults to tools/gpu/bench-schema.json: an array of at least 64 small objects, longer than 256 tokens,
# so every request runs W's 256 decode steps and the two runs differ only by the masks. The shape has no
# tokenizer; flood bench writes a synthetic byte-level vocabulary of the shape's size for the masks.
# Results: $OUT/constrained-SHAPE/{free,json}.json.
set -uo pipefail
part=${1:?usage: bench-constrained.sh .device/part-N SHAPE PROMPTS [SCHEMA] [flood bench options]}
shape=${2:?shape}
prompts=${3:?prompts}
schema=${4:-tools/gpu/bench-schema.json}
shift $(( $# >= 4 ? 4 : 3 ))
out=${OUT:-/tmp/flood-out}/constrained-$shape
mkdir -p "$out"

run() {  # name, then flood bench options
  local name=$1
  shift
  timeout 280 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main bench \
    --model "flood-core/src/test/resources/shapes/$shape" --load-format dummy --backend cuda \
    --prompts "$prompts" --json "$@" > "$out/$name.json" 2> "$out/$name.err"
  echo "$name: exit code $?"
  tail -3 "$out/$name.err"
}

echo "== workload W, $shape, $prompts prompts: unconstrained, then --json-schema $schema"
run free "$@"
run json --json-schema "$schema" "$@"
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def report(name):
    text = open(os.path.join(out, name + '.json')).read()  # on-device.sh's own line comes first
    return json.loads(text[text.index('{'):])
r = {n: report(n) for n in ('free', 'json')}
for n, v in r.items():
    print(f"{n}: {v['output_tokens_per_second']:.0f} output tok/s, {v['generated_tokens']} tokens in {v['seconds']:.2f} s,"
          f" {v['steps']} steps, mean running batch {v['mean_running_batch']:.1f}, failed {v['failed']}"
          + (f", complete {v.get('finished_complete')}" if 'finished_complete' in v else ""))
ratio = r['json']['output_tokens_per_second'] / r['free']['output_tokens_per_second']
print(f"constrained / unconstrained output tok/s: {ratio:.3f}")
PY
