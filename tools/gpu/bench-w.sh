#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): workload W through Flood's engine on the CUDA
# backend with dummy weights of a real shape, then through Hugging Face transformers (the peer script) in the
# same call, so the ratio comes from one machine.
#   bash tools/gpu/bench-w.sh .device/part-N SHAPE PROMPTS [extra flood bench options...]
# SHAPE is a folder under flood-core/src/test/resources/shapes; the peer script and workload must have been
# copied into .bench/ (cp -r ../shared/bench .bench) and carried. Results: $OUT/flood-SHAPE.json, $OUT/peer-SHAPE.json.
set -uo pipefail
part=${1:?usage: bench-w.sh .device/part-N SHAPE PROMPTS [flood bench options]}
shape=${2:?shape}
prompts=${3:?prompts}
shift 3
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1

echo "== flood bench $shape ($prompts prompts)"
timeout 420 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main bench \
  --model "flood-core/src/test/resources/shapes/$shape" --load-format dummy --backend cuda \
  --prompts "$prompts" --json "$@" > "$out/flood-$shape.json" 2> "$out/flood-$shape.err"
echo "flood exit code: $?"
tail -5 "$out/flood-$shape.err"
cat "$out/flood-$shape.json"

if [ "${FLOOD_SKIP_PEER:-0}" != 1 ]; then
  echo "== transformers peer $shape ($prompts prompts)"
  timeout 400 python3 .bench/hf_peer.py "$shape" "$prompts" cb > "$out/peer-$shape.json" 2> "$out/peer-$shape.err"
  echo "peer exit code: $?"
  tail -3 "$out/peer-$shape.err"
  cat "$out/peer-$shape.json"
fi
