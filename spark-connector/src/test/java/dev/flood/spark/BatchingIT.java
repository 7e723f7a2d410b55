package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineMetrics;
import dev.flood.spark.catalyst.FloodEvalExec;
import dev.flood.spark.runtime.EngineRegistry;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** Rows reach the engine in batches, and concurrent tasks of an executor share its engine. */
class BatchingIT {

    private static final long SEED = System.nanoTime();

    @Test
    void onePartitionOf64RowsRunsAsABatch() {
        SparkSession spark = SparkTestSession.get();
        List<String> prompts = TestPrompts.mixed(new Random(SEED), 56);
        assertEquals(64, prompts.size());
        Dataset<Row> out = TestPrompts.frame(spark, prompts).coalesce(1).withColumn("out", flood_generate(col("prompt"),
                Map.of("max_tokens", "8", "ignore_eos", "true", "output", "struct")));
        List<Row> rows = out.collectAsList();
        FloodEvalExec node = SparkTestSession.floodNode(out);
        long promptTokens = rows.stream().mapToLong(r -> r.getStruct(2).<Integer>getAs("prompt_tokens")).sum();
        assertEquals(64, SparkTestSession.metric(node, "numOutputRows"));
        assertEquals(promptTokens, SparkTestSession.metric(node, "promptTokens"));
        assertEquals(64 * 8, SparkTestSession.metric(node, "generatedTokens"));
        assertTrue(SparkTestSession.metric(node, "engineTime") > 0, "the task waited for the engine");
        // an average metric keeps one decimal as a long (value * 10); one task gives its own mean
        double meanRunningBatch = SparkTestSession.metric(node, "meanRunningBatch") / 10.0;
        assertTrue(meanRunningBatch >= 8, "mean running batch " + meanRunningBatch + " (seed " + SEED + ")");
    }

    @Test
    void twoConcurrentTasksShareOneEngine() {
        SparkSession spark = SparkTestSession.get();
        // an engine setting no other test uses, so this test's engine is opened here
        Map<String, String> options = Map.of("max_batch_tokens", "311", "max_in_flight", "8", "max_tokens", "8",
                "ignore_eos", "true");
        Dataset<Row> frame = TestPrompts.frame(spark, TestPrompts.mixed(new Random(SEED), 40));
        assertEquals(2, frame.javaRDD().getNumPartitions());
        long openedBefore = EngineRegistry.shared().opened();
        assertEquals(48, frame.withColumn("out", flood_generate(col("prompt"), options)).collectAsList().size());
        assertEquals(1, EngineRegistry.shared().opened() - openedBefore, "both tasks leased one engine");
        FloodSettings settings = FloodSettings.resolve(
                scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), options);
        try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(settings.engineConfig(List.of()))) {
            assertEquals(1, EngineRegistry.shared().opened() - openedBefore, "the tasks' engine is still open");
            EngineMetrics metrics = lease.engine().metrics();
            assertEquals(48, metrics.completedRequests());
            // each task keeps at most 8 rows in flight: a mean above 8 needs steps holding rows of both tasks
            assertTrue(metrics.meanRunningBatch() > 8, "mean running batch " + metrics.meanRunningBatch());
        }
    }
}
