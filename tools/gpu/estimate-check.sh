#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging (tools/gpu/README.md): issue 15's cost estimate against the job it
# estimates, on the CUDA backend with the demo model (real weights and tokenizer, in the repository):
#   1. flood bench --calibration: workload W plus the two probes, fitted and saved in $OUT/calibration.json;
#   2. flood estimate on a 400-row job (random prompts of 5 to 300 words, 64 tokens each, EOS ignored);
#   3. flood generate on the same job; its summary line gives the measured seconds.
# Success: the estimate's compute seconds within 30% of generate's seconds (the last line says PASS or FAIL).
#   bash tools/gpu/estimate-check.sh .device/part-N        (about 2 minutes)
set -uo pipefail
part=${1:?usage: estimate-check.sh .device/part-N}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
model=models/flood-demo

flood() {
  timeout 240 bash "$part/on-device.sh" -- -Xmx24g -cp "/tmp/flood/lib/*" dev.flood.cli.Main "$@"
}

python3 - "$out/job.jsonl" <<'PY'
import json, random, sys
rng = random.Random(15)
words = ["the", "sea", "whale", "ship", "captain", "harpoon", "wind", "sail", "deck", "night", "storm", "island"]
with open(sys.argv[1], "w") as f:
    for _ in range(400):
        f.write(json.dumps({"prompt": " ".join(rng.choice(words) for _ in range(rng.randint(5, 300)))}) + "\n")
PY

echo "== bench (calibration)"
flood bench --model "$model" --backend cuda --calibration "$out/calibration.json" --json \
  > "$out/estimate-bench.json" 2> "$out/estimate-bench.err"
echo "exit code: $?"
tail -2 "$out/estimate-bench.err"

echo "== estimate"
flood estimate --model "$model" --backend cuda --input "$out/job.jsonl" --max-tokens 64 --ignore-eos \
  --calibration "$out/calibration.json" --json > "$out/estimate.json" 2> "$out/estimate.err"
echo "exit code: $?"
cat "$out/estimate.err"

echo "== generate"
flood generate --model "$model" --backend cuda --input "$out/job.jsonl" --max-tokens 64 --ignore-eos \
  --output "$out/job-out.jsonl" > /dev/null 2> "$out/generate.err"
echo "exit code: $?"
tail -1 "$out/generate.err"

python3 - "$out/estimate.json" "$out/generate.err" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
estimate = json.loads(text[text.index('{'):])  # on-device.sh's own line comes first
print(json.dumps(estimate, indent=1))
summary = [line for line in open(sys.argv[2]) if line.startswith("generate: prompts")][-1]
measured = float(re.search(r"([0-9.]+) s,", summary).group(1))
computed = estimate["compute_seconds"]["value"]
error = (computed - measured) / measured
print(f"estimated {computed:.2f} s of compute, measured {measured:.2f} s: {100 * error:+.0f}% "
      + ("PASS" if abs(error) < 0.3 else "FAIL"))
PY
