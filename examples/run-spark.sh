#!/usr/bin/env bash
# Runs a Spark example in local mode: examples/run-spark.sh <Class> [--key value ...]
# (Class is one of SamplePrompts, BulkGenerate, BulkPerplexity, ConnectorOverheadBenchmark, WorkloadBenchmark,
# PerplexityBenchmark.)
# Builds the examples and their classpath once (rebuild: delete examples/target/classpath.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f examples/target/classpath.txt ]]; then
  mvn -q -pl examples -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
fi
# the module opens Spark needs on Java 17 (as Spark's own launcher passes them)
exec java -Xmx4g \
  --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens=java.base/java.io=ALL-UNNAMED \
  --add-opens=java.base/java.net=ALL-UNNAMED \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
  --add-opens=java.base/sun.security.action=ALL-UNNAMED \
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
  -Djdk.reflect.useDirectMethodHandle=false \
  -Dio.netty.tryReflectionSetAccessible=true \
  -Dlog4j2.configurationFile=examples/spark-log4j2.properties \
  -cp "examples/target/classes:$(cat examples/target/classpath.txt)" \
  "dev.flood.examples.spark.$1" "${@:2}"
