#!/usr/bin/env bash
# Runs ON THE GPU MACHINE after staging the examples' classpath (tools/gpu/README.md, "Spark"): flood_perplexity in
# local-mode Spark against the engine's own scoring, on the same texts and the same engine, then `flood score` on
# those texts from a file, all with dummy weights of SHAPE and the demo model's tokenizer.
#   bash tools/gpu/score-spark.sh .device/part-N SHAPE [TEXTS] [ROUNDS]
# Prints PerplexityBenchmark's rounds and median ratio (flood_perplexity / engine.score), and flood score's summary.
set -uo pipefail
part=${1:?usage: score-spark.sh .device/part-N SHAPE [TEXTS] [ROUNDS]}
shape=${2:?shape}
texts=${3:-2048}
rounds=${4:-3}
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
model=/tmp/flood-model-$shape
mkdir -p "$model"
cp "flood-core/src/test/resources/shapes/$shape/config.json" "$model/"
cp models/flood-demo/tokenizer.json models/flood-demo/tokenizer_config.json "$model/"
engine="spark.flood.backend=cuda,spark.flood.load_format=dummy,spark.flood.max_batch_tokens=16384"
spark_opens=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true
  -Dlog4j2.configurationFile=examples/spark-log4j2.properties)

echo "== PerplexityBenchmark $shape: $texts texts, $rounds rounds"
timeout 420 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC "${spark_opens[@]}" -cp "/tmp/flood/lib/*" \
  dev.flood.examples.spark.PerplexityBenchmark --model "$model" --texts "$texts" --rounds "$rounds" \
  --master 'local[2]' --texts-out "$out/texts-$shape.jsonl" --conf "$engine" \
  > "$out/spark-score-$shape.txt" 2> "$out/spark-score-$shape.err"
echo "exit code: $?"
grep -E "^(round|median|engines|[0-9]+ texts)" "$out/spark-score-$shape.txt"
grep -E "Exception|Error" "$out/spark-score-$shape.err" | head -5

echo "== flood score --input (the same texts, a fresh JVM and engine, no warm-up)"
timeout 300 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main \
  score --model "$model" --load-format dummy --backend cuda --max-batch-tokens 16384 \
  --input "$out/texts-$shape.jsonl" --output /tmp/flood-scores-$shape.jsonl 2> "$out/cli-score-$shape.err"
echo "exit code: $?"
grep "^score:" "$out/cli-score-$shape.err"
rm -f "$out/texts-$shape.jsonl"
