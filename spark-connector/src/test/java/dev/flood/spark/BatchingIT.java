package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.spark.catalyst.FloodEvalExec;
import dev.flood.spark.runtime.EngineRegistry;
import dev.flood.testing.EngineGate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Rows reach the engine in batches, and concurrent tasks of an executor share its engine. Each test holds its
 * engine's thread ({@link EngineGate}) until the job's rows are queued, so what the engine batches does not depend
 * on how fast the task threads run on a loaded machine.
 */
class BatchingIT {

    private static final long SEED = System.nanoTime();

    @Test
    void onePartitionOf64RowsRunsAsABatch() throws InterruptedException {
        SparkSession spark = SparkTestSession.get();
        List<String> prompts = TestPrompts.mixed(new Random(SEED), 56);
        assertEquals(64, prompts.size());
        Map<String, String> options = Map.of("max_tokens", "8", "ignore_eos", "true", "output", "struct");
        Dataset<Row> out = TestPrompts.frame(spark, prompts).coalesce(1).withColumn("out",
                flood_generate(col("prompt"), options));
        List<Row> rows;
        try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(engineConfig(spark, options))) {
            // the default window (256 rows) takes the whole partition
            rows = collectOnceQueued(lease.engine(), 64, out::collectAsList);
        }
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
    void twoConcurrentTasksShareOneEngine() throws InterruptedException {
        SparkSession spark = SparkTestSession.get();
        // an engine setting no other test uses, so this test's engine is opened here
        Map<String, String> options = Map.of("max_batch_tokens", "311", "max_in_flight", "8", "max_tokens", "8",
                "ignore_eos", "true");
        Dataset<Row> frame = TestPrompts.frame(spark, TestPrompts.mixed(new Random(SEED), 40));
        assertEquals(2, frame.javaRDD().getNumPartitions());
        long openedBefore = EngineRegistry.shared().opened();
        try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(engineConfig(spark, options))) {
            // each task keeps 8 rows in flight: 16 queued at once are rows of both tasks in the one engine
            List<Row> rows = collectOnceQueued(lease.engine(), 16,
                    () -> frame.withColumn("out", flood_generate(col("prompt"), options)).collectAsList());
            assertEquals(48, rows.size());
            assertEquals(1, EngineRegistry.shared().opened() - openedBefore, "both tasks leased the test's engine");
            EngineMetrics metrics = lease.engine().metrics();
            assertEquals(48 + 1, metrics.completedRequests(), "the tasks' rows and the gate's request");
            assertEquals(0, metrics.failedRequests());
            // (no bound on the mean batch here: after the first 16, how the tasks refill depends on their threads)
        }
    }

    /** The engine config the job's tasks lease for {@code options}. */
    private static EngineConfig engineConfig(SparkSession spark, Map<String, String> options) {
        return FloodSettings.resolve(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), options)
                .engineConfig(List.of());
    }

    /**
     * Runs {@code job} on another thread while {@code engine}'s thread is held, releases it once exactly
     * {@code rows} requests wait in it, and returns the job's result.
     */
    private static <T> T collectOnceQueued(FloodEngine engine, int rows, Supplier<T> job)
            throws InterruptedException {
        List<CompletableFuture<T>> running = new ArrayList<>();
        EngineGate.whileHeld(engine, held -> {
            running.add(CompletableFuture.supplyAsync(job));
            assertEquals(rows, awaitWaiting(held, rows, running.get(0)), "rows queued while the engine was held");
        });
        return running.get(0).join();
    }

    /**
     * Polls the held engine until {@code count} requests wait (or more, which fails the caller's check), or the job
     * ends first (its failure is thrown). A hang guard of minutes, not a speed check: the rows arrive as soon as
     * Spark runs the tasks.
     */
    private static int awaitWaiting(FloodEngine engine, int count, CompletableFuture<?> job) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            int waiting = engine.metrics().waitingRequests();
            if (waiting >= count) {
                return waiting;
            }
            if (job.isDone()) {
                job.join();
                throw new AssertionError("the job ended while the engine was held, with " + waiting + " rows queued");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new AssertionError("fewer than " + count + " rows queued after 5 minutes: "
                + engine.metrics().waitingRequests());
    }
}
