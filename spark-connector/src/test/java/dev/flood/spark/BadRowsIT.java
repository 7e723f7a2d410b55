package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static dev.flood.spark.FloodFunctions.flood_perplexity;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/** Rows that cannot run give null (or fail the task, if asked); every row comes out exactly once. */
class BadRowsIT {

    private static final long SEED = System.nanoTime();
    private static final String OVERLONG = "word ".repeat(600);

    private static Dataset<Row> withBadRows(SparkSession spark) {
        return TestPrompts.frame(spark, Arrays.asList("Hello", null, OVERLONG, "The quick brown fox"));
    }

    @Test
    void nullAndOverlongPromptsGiveNullAndAnError() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> out = withBadRows(spark)
                .withColumn("plain", flood_generate(col("prompt"), Map.of("max_tokens", "4")))
                .withColumn("struct", flood_generate(col("prompt"), Map.of("max_tokens", "4", "output", "struct")))
                .withColumn("ppl", flood_perplexity(col("prompt"), Map.of("sliding_window", "false")))
                .withColumn("ppl_struct", flood_perplexity(col("prompt"), Map.of("output", "struct",
                        "sliding_window", "false")))
                .withColumn("windowed", flood_perplexity(col("prompt"), Map.of("output", "struct")));
        List<Row> rows = out.collectAsList();
        assertEquals(4, rows.size());
        for (int good : new int[] {0, 3}) {
            assertNotNull(rows.get(good).getAs("plain"));
            assertNull(rows.get(good).getStruct(3).getAs("error"));
            assertNotNull(rows.get(good).getAs("ppl"));
        }
        assertBad(rows.get(1), "prompt is null", "text is null");
        assertBad(rows.get(2), "but the model's context is 512 tokens, leaving no room to generate",
                "but the model's context is 512 tokens (sliding windows are off)");
        // by default a text past the context is scored in sliding windows
        Row windowed = rows.get(2).getAs("windowed");
        assertNull(windowed.getAs("error"));
        assertTrue((Integer) windowed.getAs("windows") > 1, windowed.toString());
        assertEquals(1, (Integer) rows.get(0).<Row>getAs("windowed").getAs("windows"));
    }

    private static void assertBad(Row row, String generateError, String perplexityError) {
        assertNull(row.getAs("plain"));
        Row struct = row.getAs("struct");
        assertNull(struct.getAs("text"));
        assertEquals("error", struct.getAs("finish_reason"));
        String error = struct.getAs("error");
        assertTrue(error.contains(generateError), error);
        assertNull(row.getAs("ppl"));
        Row ppl = row.getAs("ppl_struct");
        assertNull(ppl.getAs("perplexity"));
        String pplError = ppl.getAs("error");
        assertTrue(pplError.contains(perplexityError), pplError);
    }

    /** Rows the observer UDF below the Flood operator saw, as "partition.attempt:id". */
    private static final ConcurrentLinkedQueue<String> SEEN = new ConcurrentLinkedQueue<>();

    private static long observe(long id) {
        TaskContext task = TaskContext.get();
        SEEN.add(task.partitionId() + "." + task.attemptNumber() + ":" + id);
        return id;
    }

    /**
     * The session allows 3 attempts per task; the failing row's task asks the driver to cancel its stage, so no
     * second attempt runs (the observer sees attempt 0 only) and the job fails with the row's description.
     */
    @Test
    void onErrorFailFailsTheStageAtOnceNamingTheRowByKeyAndPrompt() {
        SparkSession spark = SparkTestSession.get();
        UserDefinedFunction observer = udf((UDF1<Long, Long>) BadRowsIT::observe, DataTypes.LongType)
                .asNondeterministic();
        SEEN.clear();
        Dataset<Row> out = withBadRows(spark).coalesce(1).withColumn("id", observer.apply(col("id").cast("long")))
                .withColumn("out", flood_generate(col("prompt"), Map.of("max_tokens", "4", "on_error", "fail",
                        "key_column", "id")));
        SparkException e = assertThrows(SparkException.class, out::collectAsList);
        assertTrue(e.getMessage().contains("cancelled because flood_generate failed (on_error=fail) on the row with "
                + "id=1, prompt NULL (row 1 of partition 0): prompt is null"), e.getMessage());
        assertTrue(SEEN.stream().allMatch(s -> s.startsWith("0.0:")), "only the first attempt ran: " + SEEN);
        assertTrue(SEEN.contains("0.0:1"), "the failing row was read: " + SEEN);

        spark.createDataFrame(List.of(RowFactory.create(7, OVERLONG)), TestPrompts.SCHEMA).createOrReplaceTempView("bad");
        SparkException sql = assertThrows(SparkException.class, () -> spark.sql("SELECT flood_generate(prompt, "
                + "map('on_error', 'fail', 'key_column', 'id')) FROM bad").collectAsList());
        assertTrue(sql.getMessage().contains("on the row with id=7, prompt 'word word word word word word word "
                + "word …' (row 0 of partition 0): prompt has "), sql.getMessage());
        SparkException transformed = assertThrows(SparkException.class, () -> withBadRows(spark).coalesce(1)
                .transform(FloodTransforms.generate("prompt", "out", Map.of("on_error", "fail", "key_column", "id")))
                .collectAsList());
        assertTrue(transformed.getMessage().contains("on the row with id=1, prompt NULL (row 1 of partition 0)"),
                transformed.getMessage());
        Exception unknown = assertThrows(Exception.class, () -> spark.sql("SELECT flood_generate(prompt, "
                + "map('key_column', 'nope')) FROM bad").collectAsList());
        assertTrue(unknown.getMessage().contains("flood_generate: key_column 'nope' names no column of the call's "
                + "input (id, prompt)"), unknown.getMessage());
    }

    @Test
    void noRowIsDroppedOrDuplicatedAmong2000() {
        SparkSession spark = SparkTestSession.get();
        Random random = new Random(SEED);
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            prompts.add(TestPrompts.words(random, 1 + random.nextInt(6)));
        }
        Column promptOfId = element_at(array(prompts.stream().map(p -> lit(p)).toArray(Column[]::new)),
                col("id").mod(13).plus(1).cast("int"));
        Map<String, String> options = Map.of("max_tokens", "2", "max_in_flight", "7");
        Dataset<Row> out = spark.range(0, 2000, 1, 4).withColumn("prompt", promptOfId)
                .withColumn("out", flood_generate(col("prompt"), options));
        List<Row> rows = out.collectAsList();

        FloodSettings settings = FloodSettings.resolve(
                scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), options);
        List<GenerationResult> expected;
        try (FloodEngine engine = FloodEngine.open(settings.engineConfig(List.of()))) {
            expected = engine.generate(prompts.stream().map(p -> GenerateRequest.of(p, settings.sampling())).toList());
        }
        assertEquals(2000, rows.size());
        Set<Long> ids = new HashSet<>();
        for (Row row : rows) {
            long id = row.getLong(0);
            assertTrue(ids.add(id), "row " + id + " twice");
            assertEquals(expected.get((int) (id % 13)).text(), row.getString(2), "row " + id + " (seed " + SEED + ")");
        }
        assertEquals(2000, ids.size());
        assertTrue(ids.stream().allMatch(id -> id >= 0 && id < 2000));
        assertEquals(2000, SparkTestSession.metric(SparkTestSession.floodNode(out), "numOutputRows"));
    }
}
