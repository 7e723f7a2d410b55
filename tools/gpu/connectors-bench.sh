#!/usr/bin/env bash
# Runs ON THE GPU MACHINE, in the repository root, as the last call after tools/gpu/stage-connectors.sh's parts:
# ./flood bench, then workload W through the Spark connector (flood_generate) or the Flink connector (ML_PREDICT
# over a Flood model), on the same GPU, with dummy weights of the same shape and the same engine options.
#   bash tools/gpu/connectors-bench.sh .device/part-N spark|flink SHAPE PROMPTS [--max-batch-tokens N] [--max-running N]
#     [--cache-tokens N] [--steps-in-flight N]
# SHAPE is a folder under flood-core/src/test/resources/shapes. Results under $OUT: bench-SHAPE.json,
# WHICH-SHAPE.json and their stderr; prints both JSON lines, the executors' (TaskManager's) engine lines and the
# connector's output tok/s over the bench's, last. FLOOD_CONNECTOR_TIMEOUT (seconds, default 300) bounds the
# connector's run: a Spark job whose executors never start waits for resources until killed. FLOOD_SPARK_ROUNDS=N
# (Spark only) times N-1 more jobs after the reported one, with prefix caching off, and prints them (what of the
# first job is a first job's cost).
set -uo pipefail
part=${1:?usage: connectors-bench.sh .device/part-N spark|flink SHAPE PROMPTS [engine options]}
which=${2:?spark or flink}
shape=${3:?shape}
prompts=${4:?prompts}
shift 4
out=${OUT:-/tmp/flood-out}
mkdir -p "$out"
model="$PWD/flood-core/src/test/resources/shapes/$shape"
bash "$part/on-device.sh" >/dev/null
# jars staged in chunks (over one part's size; stage-connectors.sh) are joined once every part has been copied
for first in /tmp/flood/lib/*.chunk-00; do
  [ -e "$first" ] || continue
  jar=${first%.chunk-00}
  cat $(ls "$jar".chunk-* | sort) > "$jar" && rm -f "$jar".chunk-*
  echo "joined $(basename "$jar") from its chunks"
done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

echo "== flood bench $shape ($prompts prompts)"
timeout 240 bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" dev.flood.cli.Main bench \
  --model "$model" --load-format dummy --backend cuda --prompts "$prompts" --json "$@" \
  > "$out/bench-$shape.json" 2> "$out/bench-$shape.err"
echo "flood bench exit code: $?"
tail -3 "$out/bench-$shape.err"

echo "== $which $shape ($prompts prompts)"
case "$which" in
  spark)
    # local-cluster mode (local mode gives tasks no GPU): its executor JVM needs SPARK_HOME with a jars/ folder
    rounds=()
    [ "${FLOOD_SPARK_ROUNDS:-1}" -gt 1 ] && rounds=(--rounds "$FLOOD_SPARK_ROUNDS" --prefix-caching off)
    export SPARK_HOME=/tmp/spark-home SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
    rm -rf "$SPARK_HOME" && mkdir -p "$SPARK_HOME/jars"
    opens=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
      --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
      --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
      --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
      --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
      --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
      --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
      -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true)
    timeout "${FLOOD_CONNECTOR_TIMEOUT:-300}" bash "$part/on-device.sh" -- "${opens[@]}" -Xmx8g -Dlog4j2.configurationFile=examples/spark-log4j2.properties \
      -cp "/tmp/flood/lib/*" dev.flood.examples.spark.WorkloadBenchmark --model "$model" --load-format dummy \
      --backend cuda --gpus 1 --discovery-script examples/gpu-discovery.sh --executor-memory-mb 32768 \
      --prompts "$prompts" "${rounds[@]}" "$@" > "$out/spark-$shape.json" 2> "$out/spark-$shape.err"
    grep -h "^round" "$out/spark-$shape.err" ;;
  flink)
    timeout "${FLOOD_CONNECTOR_TIMEOUT:-300}" bash "$part/on-device.sh" -- -Xmx48g -XX:+UseParallelGC -cp "/tmp/flood/lib/*" \
      dev.flood.examples.flink.WorkloadBenchmark --model "$model" --load-format DUMMY --backend cuda --devices 0 \
      --prompts "$prompts" "$@" > "$out/flink-$shape.json" 2> "$out/flink-$shape.err" ;;
  *) echo "spark or flink, got $which" >&2; exit 2 ;;
esac
echo "$which exit code: $?"
grep -h "Flood engine" "$out/$which-$shape.json" "$out/$which-$shape.err" | cut -c1-300
tail -3 "$out/$which-$shape.err"

echo "== summary"
cat "$out/bench-$shape.json" "$out/$which-$shape.json"
python3 - "$out/bench-$shape.json" "$out/$which-$shape.json" "$which" <<'PY'
import json, sys
def figure(path):
    text = open(path).read()  # on-device.sh's own line may come first; the report may span lines
    start = text.find('{')
    if start < 0:
        return None
    return json.JSONDecoder().raw_decode(text[start:])[0].get('output_tokens_per_second')
bench, connector = figure(sys.argv[1]), figure(sys.argv[2])
if bench and connector:
    print(f"{sys.argv[3]}: {connector:,.0f} output tok/s vs flood bench {bench:,.0f}: {connector / bench:.3f}x")
else:
    print("no figure from", sys.argv[1] if not bench else sys.argv[2])
PY
