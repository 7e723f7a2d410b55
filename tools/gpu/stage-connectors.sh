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
# Parts of 38 MiB: the working tree (about 25 MiB with the demo model and fixtures) travels with each part, 64 MiB
# in all. A jar larger than a part (Flink's table planner loader, 40.1 MiB) cannot travel whole: it is left out
# of stage.py's parts and split into 4 MiB chunks added to the parts with room, or to new last parts
# (lib/NAME.chunk-NN, which a classpath wildcard ignores); connectors-bench.sh joins them on the device.
max_mb=38
# stage.py slims jars (other platforms' natives) before it measures them, so a jar is left out only when stage.py
# finds it over one part, and staging runs again without it
cp_entries=$(cat "$classpath")
big=()
while ! log=$(python3 "$shared/device/stage.py" --jre full --max-mb "$max_mb" "$classes" "$cp_entries" 2>&1); do
  name=$(sed -n 's/^stage.py: \(.*\) is [0-9.]* MiB, over one part$/\1/p' <<<"$log")
  jar=$(tr ':' '\n' <<<"$cp_entries" | grep -m1 "/$name\$" || true)
  if [ -z "$name" ] || [ -z "$jar" ]; then
    echo "$log" >&2
    exit 1
  fi
  big+=("$jar")
  cp_entries=$(tr ':' '\n' <<<"$cp_entries" | grep -v -x -F "$jar" | paste -sd:)
done
echo "$log"
for jar in "${big[@]}"; do
  python3 - "$jar" "$max_mb" <<'PY'
import glob, os, shutil, sys
jar, max_mb = sys.argv[1], int(sys.argv[2])
chunk = 4 << 20
parts = sorted(glob.glob('.device/part-*'), key=lambda p: int(p.rsplit('-', 1)[1]))
def size(part):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(part) for f in fs)
data = open(jar, 'rb').read()
name = os.path.basename(jar)
for i in range(0, len(data), chunk):
    piece = data[i:i + chunk]
    part = min(parts, key=size)
    if size(part) + len(piece) > max_mb << 20:
        # a new last part: its on-device.sh (the same script in every part) copies its lib/ like the others
        part = f'.device/part-{len(parts) + 1}'
        os.makedirs(os.path.join(part, 'lib'))
        shutil.copy('.device/part-1/on-device.sh', part)
        parts.append(part)
    os.makedirs(os.path.join(part, 'lib'), exist_ok=True)
    with open(os.path.join(part, 'lib', f'{name}.chunk-{i // chunk:02d}'), 'wb') as out:
        out.write(piece)
print(f'stage-connectors.sh: {name} ({len(data) / 2**20:.1f} MiB) travels in {-(-len(data) // chunk)} chunks')
PY
done
if [ "$which" = spark ]; then
  # Spark's executor JVMs start with --add-modules=jdk.incubator.vector, which the full runtime (java.* modules)
  # lacks: every executor exited at once and the job waited for resources. Replace the staged runtime with one
  # that has it.
  runtime=$(ls .device/part-*/jre.tgz | head -1)
  jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  tmp=$(mktemp -d)
  # stage.py's own list for the full runtime, plus the module
  modules=$(python3 -B -c "import sys; sys.path.insert(0, sys.argv[1]); import stage; print(stage.MODULES['full'])" \
    "$shared/device")
  "$jdk/bin/jlink" --add-modules "$modules,jdk.incubator.vector" --strip-debug --no-man-pages --no-header-files \
    --compress=2 --output "$tmp/jre"
  tar czf "$runtime" -C "$tmp" jre
  rm -rf "$tmp"
  echo "stage-connectors.sh: $runtime now has jdk.incubator.vector for Spark's executors"
fi
echo
last=$(ls -d .device/part-* | sort -V | tail -1)
echo "The last call runs tools/gpu/connectors-bench.sh instead of on-device.sh directly, e.g.:"
echo "  run(carry=[\"$last\"], command='bash tools/gpu/connectors-bench.sh $last $which llama-3.2-1b 1024', timeout_s=600)"
