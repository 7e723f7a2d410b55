package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.spark.runtime.EngineRegistry;
import dev.flood.testing.EngineGate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cancelled Spark job cancels the rows its task has in flight: they leave the engine's batch within the steps
 * already in flight. One partition of 8 rows, all in the window at once: row 0's prompt nearly fills the context,
 * so it finishes after a few tokens while rows 1-7 would generate ~500. A UDF above the Flood operator, on row 0
 * (the task's thread; the executor is this JVM), holds the engine thread inside a token callback, notes the step
 * count, cancels the job group and waits until Spark has marked the task killed; the runner then cancels rows 1-7
 * and the task fails. The engine is released only after the task has ended (Spark fails a cancelled job at once,
 * before its tasks end, so the test waits for the task's end event), so the steps run after the cancel do not
 * depend on how fast either side is. Run with and without {@code interruptOnCancel} (Spark's default for a job
 * cancel is to mark the task killed without interrupting its thread).
 */
class CancellationIT {

    private static final long SEED = System.nanoTime();
    private static final String GROUP = "flood-cancellation-it";
    /** Engine options no other test uses, so this test's engine is its own. */
    private static final Map<String, String> OPTIONS = Map.of("max_batch_tokens", "293", "max_in_flight", "8",
            "max_tokens", "600", "ignore_eos", "true", "temperature", "0");

    private static volatile EngineConfig engineConfig;
    private static volatile boolean armed;
    private static volatile long stepsAtCancel;
    /** Holds the engine from row 0's UDF until the test has seen the task end. */
    private static volatile EngineGate gate;

    /** Counts down when a task of a job in {@link #GROUP} has ended: its completion listeners have run. */
    private static final class TaskEnds extends SparkListener {
        final CountDownLatch ended = new CountDownLatch(1);
        private final Set<Integer> stages = ConcurrentHashMap.newKeySet();

        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
            if (jobStart.properties() != null
                    && GROUP.equals(jobStart.properties().getProperty("spark.jobGroup.id"))) {
                stages.addAll(scala.jdk.javaapi.CollectionConverters.asJava(jobStart.stageIds()).stream()
                        .map(id -> (Integer) id).toList());
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            if (stages.contains(taskEnd.stageId())) {
                ended.countDown();
            }
        }
    }

    private static String holdEngineAndCancel(int id, String out) throws InterruptedException {
        if (id == 0 && armed) {
            armed = false;
            try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(engineConfig)) {
                gate = EngineGate.hold(lease.engine());
                stepsAtCancel = lease.engine().metrics().steps();
            }
            SparkContext.getOrCreate().cancelJobGroup(GROUP);
            while (!TaskContext.get().isInterrupted()) {
                Thread.onSpinWait();
            }
        }
        return out;
    }

    /** Appends random words to {@code base} until the tokenizer counts at least {@code tokens}. */
    private static String promptOf(FloodEngine engine, int tokens, Random random) {
        StringBuilder prompt = new StringBuilder();
        while (engine.tokenizer().encode(prompt.toString()).length < tokens) {
            prompt.append(TestPrompts.words(random, 8)).append(' ');
        }
        return prompt.toString().trim();
    }

    @ParameterizedTest(name = "interruptOnCancel={0}")
    @ValueSource(booleans = {false, true})
    void aCancelledJobCancelsItsRowsInFlight(boolean interruptOnCancel) throws InterruptedException {
        SparkSession spark = SparkTestSession.get();
        FloodSettings settings = FloodSettings.resolve(
                scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), OPTIONS);
        engineConfig = settings.engineConfig(List.of());
        try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(engineConfig)) {
            FloodEngine engine = lease.engine();
            Random random = new Random(SEED);
            List<Row> rows = new ArrayList<>();
            rows.add(RowFactory.create(0, promptOf(engine, engine.modelConfig().maxPositions() - 24, random)));
            for (int i = 1; i < 8; i++) {
                rows.add(RowFactory.create(i, TestPrompts.words(random, 3)));
            }
            Dataset<Row> frame = spark.createDataFrame(rows, TestPrompts.SCHEMA).coalesce(1);
            Dataset<Row> out = frame.withColumn("out", flood_generate(col("prompt"), OPTIONS))
                    .withColumn("seen", udf((UDF2<Integer, String, String>) CancellationIT::holdEngineAndCancel,
                            DataTypes.StringType).apply(col("id"), col("out")));
            EngineMetrics before = engine.metrics();
            gate = null;
            armed = true;
            TaskEnds taskEnds = new TaskEnds();
            spark.sparkContext().addSparkListener(taskEnds);
            spark.sparkContext().setJobGroup(GROUP, "cancelled by its own UDF", interruptOnCancel);
            try {
                Exception e = assertThrows(Exception.class, out::collectAsList);
                assertTrue(String.valueOf(e.getMessage()).contains("cancel"), e.toString());
                taskEnds.ended.await();
            } finally {
                spark.sparkContext().clearJobGroup();
                spark.sparkContext().removeSparkListener(taskEnds);
                if (gate != null) {
                    gate.release();
                }
            }
            assertFalse(armed, "row 0 reached the UDF");
            // one more request: once it is done, the engine has taken every cancel and collected its steps in flight
            CompletableFuture<GenerationResult> after = engine.submit(GenerateRequest.ofTokens(List.of(1),
                    SamplingParams.greedy(1)), GenerationListener.NONE);
            assertFalse(after.join().isError());
            EngineMetrics metrics = engine.metrics();
            assertEquals(7, metrics.cancelledRequests() - before.cancelledRequests(), "rows 1-7 (seed " + SEED + ")");
            assertEquals(0, metrics.runningRequests());
            assertEquals(0, metrics.waitingRequests());
            assertEquals(0, metrics.cache().usedTokens());
            // after the cancel: the steps then in flight, and the last request's one step
            long steps = metrics.steps() - stepsAtCancel;
            assertTrue(steps <= engineConfig.maxStepsInFlight() + 1, steps + " steps after the cancel");
        }
    }
}
