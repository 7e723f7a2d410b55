package dev.flood.flink.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.FloodMetrics;
import dev.flood.flink.testing.JobMetrics;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import dev.flood.flink.testing.TableRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
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
 * {@code CREATE MODEL ... WITH ('provider' = 'flood')} and {@code ML_PREDICT} on a MiniCluster (two subtasks
 * sharing the TaskManager's engine): texts equal to an engine's run outside Flink with the derived seeds, one row
 * out per row in, NULLs kept in every column (the input's string columns, and a NULL prompt's completion), the
 * result's fields by OUTPUT column name, token-id prompts, and options checked when the query is planned.
 */
class FloodModelIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(REPORTER.addToConfiguration(new Configuration())).build());

    private final long seed = System.nanoTime();
    private StreamExecutionEnvironment env;
    private StreamTableEnvironment tableEnv;

    @BeforeEach
    void tableEnvironment() {
        env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        tableEnv = StreamTableEnvironment.create(env);
    }

    private String createModel(String name, String output, String input, Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(Map.of("model.path", Fixtures.model("tiny-llama").toString(),
                "threads", "1", "max-new-tokens", "7", "temperature", "0.8", "seed", Long.toString(seed)));
        options.putAll(extra);
        StringBuilder with = new StringBuilder("'provider' = 'flood'");
        options.forEach((k, v) -> with.append(", '").append(k).append("' = '").append(v).append('\''));
        tableEnv.executeSql("CREATE TEMPORARY MODEL " + name + " INPUT (" + input + ") OUTPUT (" + output + ") WITH ("
                + with + ")");
        return name;
    }

    /** A view {@code events(id INT, name STRING, prompt STRING)} read from a stream, ids in list order. */
    private void eventsView(List<String> names, List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(Row.of(i, names.get(i), prompts.get(i)));
        }
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"id", "name", "prompt"},
                Types.INT, Types.STRING, Types.STRING));
        tableEnv.createTemporaryView("events", tableEnv.fromDataStream(stream));
    }


    private FloodSettings settings() {
        return FloodSettings.resolve(Map.of("flood.model.path", Fixtures.model("tiny-llama").toString(),
                "flood.threads", "1", "flood.max-new-tokens", "7", "flood.temperature", "0.8",
                "flood.seed", Long.toString(seed)), key -> null, TaskManagerSlots.UNKNOWN);
    }

    @Test
    void mlPredictGeneratesEveryRowAndKeepsNulls() throws Exception {
        createModel("writer", "completion STRING", "prompt STRING", Map.of());
        List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(seed), 17));
        prompts.set(4, null);
        prompts.set(9, TestPrompts.OVER_LONG);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            names.add(i % 3 == 0 ? null : "name " + i);
        }
        eventsView(names, prompts);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings());

        TableResult result = tableEnv.executeSql(
                "SELECT id, name, prompt, completion FROM ML_PREDICT(TABLE events, MODEL writer, DESCRIPTOR(prompt))");
        JobID job = result.getJobClient().orElseThrow().getJobID();
        Map<Integer, Row> rows = TableRows.byId(result);

        assertEquals(prompts.size(), rows.size(), "one row out per row in");
        for (int i = 0; i < prompts.size(); i++) {
            Row row = rows.get(i);
            assertEquals(names.get(i), row.getField(1), "name of row " + i + ": a NULL stays NULL");
            assertEquals(prompts.get(i), row.getField(2), "prompt of row " + i);
            if (i == 4 || i == 9) {
                assertNull(row.getField(3), "a NULL or over-long prompt gives a NULL completion");
            } else {
                assertEquals(reference.get(prompts.get(i)).text(), row.getField(3), "completion of row " + i
                        + " (seed " + seed + ")");
            }
        }
        result.getJobClient().orElseThrow().getJobExecutionResult().get();
        assertEquals(prompts.size(), JobMetrics.sum(REPORTER, job, FloodMetrics.REQUESTS));
        assertEquals(2, JobMetrics.sum(REPORTER, job, FloodMetrics.ERRORS), "the NULL and the over-long prompt");
    }

    /** {@code 'async' = 'false'} runs the sync predict function: the same rows. */
    @Test
    void syncCallsGiveTheSameRows() throws Exception {
        createModel("sync_writer", "completion STRING", "prompt STRING", Map.of());
        List<String> prompts = TestPrompts.random(new Random(seed), 5);
        eventsView(Arrays.asList(null, "b", null, "d", "e"), prompts);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings());
        Map<Integer, Row> rows = TableRows.byId(tableEnv.executeSql("SELECT id, name, completion FROM ML_PREDICT(TABLE "
                + "events, MODEL sync_writer, DESCRIPTOR(prompt), MAP['async', 'false'])"));
        assertEquals(prompts.size(), rows.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(reference.get(prompts.get(i)).text(), rows.get(i).getField(2), "row " + i);
        }
        assertNull(rows.get(0).getField(1));
    }

    @Test
    void outputColumnsByNameAndTokenIdPrompts() throws Exception {
        createModel("detailed", "text STRING, finish_reason STRING, completion_tokens INT, error STRING",
                "ids ARRAY<INT>", Map.of("ignore-eos", "true"));
        Random random = new Random(seed);
        List<List<Integer>> prompts = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 1 + random.nextInt(12); t > 0; t--) {
                ids.add(random.nextInt(256));
            }
            prompts.add(ids);
            rows.add(Row.of(i, ids.toArray(Integer[]::new)));
        }
        rows.add(Row.of(7, new Integer[] {5, 1 << 20}));
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"id", "ids"}, Types.INT,
                Types.OBJECT_ARRAY(Types.INT)));
        tableEnv.createTemporaryView("token_prompts", tableEnv.fromDataStream(stream));
        FloodSettings settings = FloodSettings.resolve(Map.of("flood.model.path",
                Fixtures.model("tiny-llama").toString(), "flood.threads", "1", "flood.max-new-tokens", "7",
                "flood.temperature", "0.8", "flood.seed", Long.toString(seed), "flood.ignore-eos", "true"),
                key -> null, TaskManagerSlots.UNKNOWN);
        List<GenerationResult> expected;
        try (FloodEngine engine = FloodEngine.open(settings.engine())) {
            expected = engine.generate(prompts.stream()
                    .map(ids -> GenerateRequest.ofTokens(ids, settings.samplingForTokens(ids))).toList());
        }

        Map<Integer, Row> out = TableRows.byId(tableEnv.executeSql("SELECT id, text, finish_reason, completion_tokens, "
                + "error FROM ML_PREDICT(TABLE token_prompts, MODEL detailed, DESCRIPTOR(ids))"));
        assertEquals(rows.size(), out.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(expected.get(i).text(), out.get(i).getField(1), "row " + i + " (seed " + seed + ")");
            assertEquals("length", out.get(i).getField(2));
            assertEquals(7, out.get(i).getField(3));
            assertNull(out.get(i).getField(4));
        }
        Row bad = out.get(7);
        assertNull(bad.getField(1));
        assertEquals("error", bad.getField(2));
        assertTrue(((String) bad.getField(4)).contains("outside the vocabulary"), (String) bad.getField(4));
    }

    @Test
    void badModelsFailWhenTheQueryIsPlanned() {
        eventsView(Arrays.asList("a"), List.of("a prompt"));
        createModel("typo", "completion STRING", "prompt STRING", Map.of("temprature", "0.5"));
        assertPlanningFails("typo", "unknown option 'temprature' of a Flood model (known: [backend,");
        createModel("two_inputs", "completion STRING", "prompt STRING, other STRING", Map.of());
        assertPlanningFails("two_inputs", "a Flood model takes one INPUT column, the prompt");
        createModel("bad_output", "completion STRING, score DOUBLE", "prompt STRING", Map.of());
        assertPlanningFails("bad_output", "with several OUTPUT columns each must be one of text STRING, "
                + "finish_reason STRING, prompt_tokens INTEGER, completion_tokens INTEGER, error STRING");
        createModel("bad_value", "completion STRING", "prompt STRING", Map.of("top-p", "1.5"));
        assertPlanningFails("bad_value", "top_p must be in (0, 1], got 1.5");
    }

    private void assertPlanningFails(String model, String message) {
        String columns = model.equals("two_inputs") ? "name, prompt" : "prompt";
        Exception e = assertThrows(Exception.class, () -> tableEnv.executeSql("SELECT id, completion FROM "
                + "ML_PREDICT(TABLE events, MODEL " + model + ", DESCRIPTOR(" + columns + "))"));
        assertTrue(ExceptionUtils.stringifyException(e).contains(message), () -> ExceptionUtils.stringifyException(e));
    }
}
