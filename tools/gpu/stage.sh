#!/usr/bin/env bash
# Runs HERE (the development machine): builds Flood with its CUDA kernels and test classes, collects the runtime
# and test classpath plus JUnit's console launcher, and stages it for the GPU machine with shared/device/stage.py.
# It ends by printing the device calls to make (see tools/gpu/README.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
shared=${FLOOD_SHARED:-$root/../shared}
deps=flood-core/target/gpu-deps
junit_platform=1.11.4

mvn -q -B install -DskipTests
# (a listing captured first: grep -q leaving a pipe early would fail it under pipefail)
listing=$(unzip -l "$HOME/.m2/repository/dev/flood/flood-kernels/0.1.0-SNAPSHOT/flood-kernels-0.1.0-SNAPSHOT.jar")
if ! grep -q dev/flood/kernels/flood.fatbin <<<"$listing"; then
  echo "stage.sh: flood-kernels has no flood.fatbin (nvcc missing?); the GPU run would have no kernels" >&2
  exit 1
fi
rm -rf "$deps"
# JUnit comes from the console launcher (one copy of each engine), so its jars are left out here; so are Hadoop's
# client jars (over 50 MB), which only the command line's Parquet input and output use.
mvn -q -B -pl flood-core dependency:copy-dependencies -DincludeScope=test -DoutputDirectory=target/gpu-deps \
  -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
  -DexcludeArtifactIds=hadoop-client-api,hadoop-client-runtime
mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_platform \
  -DoutputDirectory="$deps"
# Parts of 40 MiB: the working tree (about 20 MiB with the demo model) travels with each part, 64 MiB in all.
python3 "$shared/device/stage.py" --max-mb 40 flood-core/target/flood-core-0.1.0-SNAPSHOT.jar \
  flood-core/target/flood-core-0.1.0-SNAPSHOT-tests.jar "$deps"
echo
echo "The last call runs tools/gpu/run-gpu.sh instead of on-device.sh directly:"
last=$(ls -d .device/part-* | sort -V | tail -1)
echo "  run(carry=[\"$last\"], command='bash tools/gpu/run-gpu.sh $last')"
