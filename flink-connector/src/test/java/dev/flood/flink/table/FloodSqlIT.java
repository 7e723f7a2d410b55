package dev.flood.flink.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodOptions;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.FloodMetrics;
import dev.flood.flink.testing.JobMetrics;
import dev.flood.flink.testing.TableRows;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code FLOOD_GENERATE} and {@code FLOOD_PERPLEXITY} in SQL on a MiniCluster, two subtasks sharing the engine.
 * Greedy texts and perplexities are checked against Hugging Face transformers' (the fixtures' reference.json):
 * texts exactly, perplexities to 1e-4 relative (float32 on both sides, different summation order; the engine's
 * own parity test uses the same bound).
 */
class FloodSqlIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(REPORTER.addToConfiguration(new Configuration())).build());

    private static final String MODEL = "tiny-llama";
    private StreamExecutionEnvironment env;
    private StreamTableEnvironment tableEnv;

    @BeforeEach
    void tableEnvironment() {
        env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        tableEnv = StreamTableEnvironment.create(env);
    }

    /**
     * A view {@code prompts(id INT, prompt STRING)} of the given prompts, ids in list order, read from a stream
     * (not SQL VALUES, whose literals the planner turns into one operator per row and may evaluate specially).
     */
    private void promptsView(List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(Row.of(i, prompts.get(i)));
        }
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"id", "prompt"}, Types.INT, Types.STRING));
        tableEnv.createTemporaryView("prompts", tableEnv.fromDataStream(stream));
    }

    @Test
    void sqlFunctionsMatchTransformersAndKeepBadRows() throws Exception {
        tableEnv.executeSql("CREATE TEMPORARY FUNCTION FLOOD_GENERATE AS 'dev.flood.flink.table.FloodGenerate'");
        tableEnv.executeSql("CREATE TEMPORARY FUNCTION FLOOD_PERPLEXITY AS 'dev.flood.flink.table.FloodPerplexity'");
        // as the SQL client's SET 'pipeline.global-job-parameters' = '...' would
        tableEnv.getConfig().set("pipeline.global-job-parameters", "flood.model.path:" + Fixtures.model(MODEL)
                + ",flood.threads:1,flood.max-new-tokens:24,flood.ignore-eos:true,flood.score.sliding-window:false");
        List<Fixtures.Case> cases = Fixtures.cases(MODEL);
        List<String> prompts = new ArrayList<>(cases.stream().map(Fixtures.Case::prompt).toList());
        prompts.add(null);
        prompts.add(TestPrompts.OVER_LONG);
        promptsView(prompts);

        // one function per query: with two async calls in one SELECT, Flink 2.2 forwards a NULL STRING from the
        // first async operator to the second as '' (seen with any AsyncScalarFunction; see the module README)
        TableResult generated = tableEnv.executeSql("SELECT id, FLOOD_GENERATE(prompt) FROM prompts");
        JobID generateJob = generated.getJobClient().orElseThrow().getJobID();
        Map<Integer, Row> texts = TableRows.byId(generated);
        TableResult scored = tableEnv.executeSql("SELECT id, FLOOD_PERPLEXITY(prompt) FROM prompts");
        JobID scoreJob = scored.getJobClient().orElseThrow().getJobID();
        Map<Integer, Row> perplexities = TableRows.byId(scored);

        assertEquals(prompts.size(), texts.size(), "one row per input row");
        assertEquals(prompts.size(), perplexities.size(), "one row per input row");
        for (int i = 0; i < cases.size(); i++) {
            Fixtures.Case c = cases.get(i);
            assertEquals(c.greedyText(), texts.get(i).getField(1), "greedy text of '" + c.prompt() + "'");
            double perplexity = (Double) perplexities.get(i).getField(1);
            assertEquals(c.perplexity(), perplexity, 1e-4 * c.perplexity(), "perplexity of '" + c.prompt() + "'");
        }
        for (int bad : new int[] {cases.size(), cases.size() + 1}) {
            assertNull(texts.get(bad).getField(1), "NULL text for a null or over-long prompt");
            assertNull(perplexities.get(bad).getField(1), "NULL perplexity for a null or over-long text");
        }

        generated.getJobClient().orElseThrow().getJobExecutionResult().get();
        scored.getJobClient().orElseThrow().getJobExecutionResult().get();
        // Flink answers NULL for a NULL argument without calling an async scalar function: 9 calls, 1 error
        assertEquals(prompts.size() - 1, JobMetrics.sum(REPORTER, generateJob, FloodMetrics.REQUESTS));
        assertEquals(1, JobMetrics.sum(REPORTER, generateJob, FloodMetrics.ERRORS), "the over-long prompt");
        assertEquals(24L * cases.size(), JobMetrics.sum(REPORTER, generateJob, FloodMetrics.GENERATED_TOKENS));
        assertEquals(24L * cases.size(),
                JobMetrics.sum(REPORTER, generateJob, FloodMetrics.GENERATED_TOKENS + "PerSecond"),
                "the meter counts the generated tokens");
        assertEquals(0, JobMetrics.sum(REPORTER, generateJob, FloodMetrics.IN_FLIGHT), "nothing in flight at the end");
        assertEquals(prompts.size() - 1, JobMetrics.sum(REPORTER, scoreJob, FloodMetrics.REQUESTS));
        assertEquals(1, JobMetrics.sum(REPORTER, scoreJob, FloodMetrics.ERRORS));
        long numScored = cases.stream().mapToLong(c -> c.tokenLogprobs().length).sum();
        assertEquals(numScored, JobMetrics.sum(REPORTER, scoreJob, FloodMetrics.SCORED_TOKENS));
    }

    /** Registered from Java with options in the constructor; seeded sampling gives the engine's own texts. */
    @Test
    void javaRegistrationWithSeededSampling() throws Exception {
        long seed = System.nanoTime();
        Map<String, String> options = Map.of(FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-qwen2").toString(),
                FloodOptions.THREADS.key(), "1", FloodOptions.MAX_NEW_TOKENS.key(), "9",
                FloodOptions.TEMPERATURE.key(), "0.8", FloodOptions.TOP_P.key(), "0.95",
                FloodOptions.SEED.key(), Long.toString(seed));
        FloodFunctions.register(tableEnv, options);
        List<String> prompts = TestPrompts.random(new Random(seed), 19);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts,
                FloodSettings.resolve(options, k -> null, TaskManagerSlots.UNKNOWN));
        promptsView(prompts);

        Map<Integer, Row> rows = TableRows.byId(tableEnv.executeSql("SELECT id, FLOOD_GENERATE(prompt) FROM prompts"));
        assertEquals(prompts.size(), rows.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(reference.get(prompts.get(i)).text(), rows.get(i).getField(1),
                    "text of '" + prompts.get(i) + "' (seed " + seed + ")");
        }
    }

    /** A choice option holds every row to one of its texts, as the engine does with the same seeds. */
    @Test
    void aChoiceOptionKeepsEveryRowToItsChoices() throws Exception {
        long seed = System.nanoTime();
        Map<String, String> options = Map.of(FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-qwen2").toString(),
                FloodOptions.THREADS.key(), "1", FloodOptions.MAX_NEW_TOKENS.key(), "16",
                FloodOptions.TEMPERATURE.key(), "1.0", FloodOptions.CHOICE.key(), "yes;no;not sure",
                FloodOptions.SEED.key(), Long.toString(seed));
        FloodFunctions.register(tableEnv, options);
        List<String> prompts = TestPrompts.random(new Random(seed), 7);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts,
                FloodSettings.resolve(options, k -> null, TaskManagerSlots.UNKNOWN));
        promptsView(prompts);

        Map<Integer, Row> rows = TableRows.byId(tableEnv.executeSql("SELECT id, FLOOD_GENERATE(prompt) FROM prompts"));
        for (int i = 0; i < prompts.size(); i++) {
            String message = "text of '" + prompts.get(i) + "' (seed " + seed + ")";
            assertEquals(reference.get(prompts.get(i)).text(), rows.get(i).getField(1), message);
            assertTrue(List.of("yes", "no", "not sure").contains((String) rows.get(i).getField(1)), message);
        }
    }

    @Test
    void failModeFailsTheQueryNamingTheError() {
        tableEnv.executeSql("CREATE TEMPORARY FUNCTION FLOOD_GENERATE AS 'dev.flood.flink.table.FloodGenerate'");
        tableEnv.getConfig().set(PipelineOptions.GLOBAL_JOB_PARAMETERS, Map.of(
                FloodOptions.MODEL_PATH.key(), Fixtures.model(MODEL).toString(),
                FloodOptions.THREADS.key(), "1",
                FloodOptions.ON_ERROR.key(), "FAIL"));
        List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(), 5));
        prompts.set(3, TestPrompts.OVER_LONG);
        promptsView(prompts);

        Exception e = assertThrows(Exception.class,
                () -> TableRows.byId(tableEnv.executeSql("SELECT id, FLOOD_GENERATE(prompt) FROM prompts")));
        assertTrue(ExceptionUtils.findThrowableWithMessage(e, "FLOOD_GENERATE failed: ").isPresent()
                        && ExceptionUtils.stringifyException(e).contains("but the model's context is 512 tokens"),
                () -> ExceptionUtils.stringifyException(e));
    }

    @Test
    void missingModelPathFailsOpenNamingTheOption() {
        FloodFunctions.register(tableEnv, Map.of());
        promptsView(List.of("a prompt"));
        Exception e = assertThrows(Exception.class,
                () -> TableRows.byId(tableEnv.executeSql("SELECT id, FLOOD_GENERATE(prompt) FROM prompts")));
        assertTrue(ExceptionUtils.findThrowableWithMessage(e,
                "flood.model.path is not set: give it to the function or set it on the job").isPresent(),
                () -> ExceptionUtils.stringifyException(e));
    }
}
