package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * A task that fails midway and is retried (the session allows 3 attempts) generates, with temperature sampling,
 * exactly what its first attempt generated: each row's seed comes from its content, not from the engine's
 * request counter. Failure injection: a UDF above the Flood operator records every row it sees and throws once,
 * on the first attempt of partition 1 after 10 rows (the executor is this JVM, so static state is shared).
 */
class RetryIT {

    private static final long SEED = System.nanoTime();

    private record Seen(int partition, int attempt, long id, String out) {
    }

    private static final ConcurrentLinkedQueue<Seen> SEEN = new ConcurrentLinkedQueue<>();
    private static volatile boolean armed;

    private static String observe(long id, String out) {
        TaskContext task = TaskContext.get();
        SEEN.add(new Seen(task.partitionId(), task.attemptNumber(), id, out));
        long seenBefore = SEEN.stream().filter(s -> s.partition() == 1 && s.attempt() == 0).count();
        if (armed && task.partitionId() == 1 && task.attemptNumber() == 0 && seenBefore >= 10) {
            throw new IllegalStateException("injected failure after " + seenBefore + " rows");
        }
        return out;
    }

    @Test
    void aRetriedTaskGeneratesWhatItsFirstAttemptDid() {
        SparkSession spark = SparkTestSession.get();
        Random random = new Random(SEED);
        List<Column> prompts = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            prompts.add(lit(TestPrompts.words(random, 1 + random.nextInt(8))));
        }
        Dataset<Row> frame = spark.range(0, 60, 1, 2)
                .withColumn("prompt", element_at(array(prompts.toArray(Column[]::new)), col("id").plus(1).cast("int")));
        UserDefinedFunction observer = udf((UDF2<Long, String, String>) RetryIT::observe, DataTypes.StringType)
                .asNondeterministic();
        Map<String, String> sampled = Map.of("temperature", "1.0", "top_k", "50", "max_tokens", "10",
                "ignore_eos", "true");
        Function<Map<String, String>, Map<Long, String>> run = options -> {
            Map<Long, String> outs = new HashMap<>();
            frame.withColumn("out", flood_generate(col("prompt"), options))
                    .select(col("id"), observer.apply(col("id"), col("out")))
                    .collectAsList().forEach(r -> outs.put(r.getLong(0), r.getString(1)));
            return outs;
        };

        SEEN.clear();
        armed = true;
        Map<Long, String> retried;
        try {
            retried = run.call(sampled);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            armed = false;
        }
        List<Seen> firstAttempt = SEEN.stream().filter(s -> s.partition() == 1 && s.attempt() == 0).toList();
        assertEquals(10, firstAttempt.size(), "the first attempt of partition 1 failed on its 10th row");
        assertTrue(SEEN.stream().anyMatch(s -> s.partition() == 1 && s.attempt() == 1), "partition 1 was retried");
        for (Seen seen : firstAttempt) {
            assertEquals(seen.out(), retried.get(seen.id()), "row " + seen.id() + " (seed " + SEED + ")");
        }
        assertEquals(60, retried.size());

        Map<Long, String> clean;
        Map<Long, String> greedy;
        try {
            clean = run.call(sampled);
            greedy = run.call(Map.of("max_tokens", "10", "ignore_eos", "true"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertEquals(clean, retried, "a run without failures gives the same values");
        assertTrue(greedy.entrySet().stream().anyMatch(e -> !e.getValue().equals(clean.get(e.getKey()))),
                "sampling at temperature 1 differs from greedy somewhere, so the test exercises the seeds");
    }
}
