#!/usr/bin/env bash
# Runs HERE (the development machine): builds the Spark or the Flink workload benchmark (examples/) with Flood and
# its CUDA kernels, and stages its runtime classpath for the GPU machine with shared/device/stage.py (every java.*
# module: Spark and Flink need more than the engine). Prints the device calls (see tools/gpu/README.md).
#   bash tools/gpu/stage-connectors.sh spark|flink
# Run it from a checkout whose .git is a folder (stage.py refuses a git worktree), e.g. /work/main.
set -euo pipefail
which=${1:?usage: stage-connectors.sh spark|flink}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
shared=${FLOOD_SHARED:-$root/../shared}

case "$which" in
  spark)
    # package and the classpath in one reactor run, so that Flood's modules resolve to this build's jars
    mvn -q -B -pl examples -am package dependency:build-classpath -DskipTests \
      -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
    classes=examples/target/classes
    classpath=examples/target/classpath.txt ;;
  flink)
    # the module writes target/classpath.txt itself (Flink, its planner and Flood, all provided there)
    mvn -q -B -pl examples/flink -am package -DskipTests
    classes=examples/flink/target/classes
    classpath=examples/flink/target/classpath.txt ;;
  *) echo "usage: stage-connectors.sh spark|flink" >&2; exit 2 ;;
esac
listing=$(unzip -l kernels/target/flood-kernels-0.1.0-SNAPSHOT.jar)
if ! grep -q dev/flood/kernels/flood.fatbin <<<"$listing"; then
  echo "stage-connectors.sh: flood-kernels has no flood.fatbin (nvcc missing?); the GPU run would have no kernels" >&2
  exit 1
fi
# Parts of 40 MiB: the working tree (about 20 MiB with the demo model) travels with each part, 64 MiB in all.
python3 "$shared/device/stage.py" --jre full --max-mb 40 "$classes" "$(cat "$classpath")"
if [ "$which" = spark ]; then
  # Spark's executor JVMs start with --add-modules=jdk.incubator.vector, which the full runtime (java.* modules)
  # lacks: every executor exited at once and the job waited for resources. Replace the staged runtime with one
  # that has it.
  runtime=$(ls .device/part-*/jre.tgz | head -1)
  jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  tmp=$(mktemp -d)
  "$jdk/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.crypto.ec,jdk.security.auth,jdk.management,jdk.zipfs,\
jdk.net,jdk.httpserver,jdk.naming.dns,jdk.incubator.vector --strip-debug --no-man-pages --no-header-files \
    --compress=2 --output "$tmp/jre"
  tar czf "$runtime" -C "$tmp" jre
  rm -rf "$tmp"
  echo "stage-connectors.sh: $runtime now has jdk.incubator.vector for Spark's executors"
fi
echo
last=$(ls -d .device/part-* | sort -V | tail -1)
echo "The last call runs tools/gpu/connectors-bench.sh instead of on-device.sh directly, e.g.:"
echo "  run(carry=[\"$last\"], command='bash tools/gpu/connectors-bench.sh $last $which llama-3.2-1b 1024', timeout_s=600)"
