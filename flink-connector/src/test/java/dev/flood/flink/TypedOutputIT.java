package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.flink.table.FloodChat;
import dev.flood.flink.table.FloodGenerate;
import dev.flood.flink.testing.ChatModels;
import dev.flood.structured.SchemaCheck;
import dev.flood.testing.Fixtures;
import dev.flood.flink.testing.TableRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flood.output-schema} on a MiniCluster with the demo model sampling at temperature 1.0: ML_PREDICT fills
 * the schema's OUTPUT columns, and FLOOD_GENERATE with the schema as a literal argument (or in its constructor's
 * options) returns a typed ROW. Every row whose JSON is complete (every row that stopped) has every field non-NULL,
 * of its type and equal to its JSON text; every row cut by max tokens has NULL fields, finish reason
 * {@code length} and an error, never a half-parsed value.
 */
class TypedOutputIT {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(new Configuration()).build());

    /** Bounded strings: the demo model writes prose, and an unbounded string rarely closes within max tokens. */
    private static final String SCHEMA = "name VARCHAR(20), age INT, tags ARRAY<VARCHAR(12)>";
    private static final int NUM_ROWS = 100;

    @TempDir
    Path temp;
    private final long seed = System.nanoTime();
    private StreamExecutionEnvironment env;
    private StreamTableEnvironment tableEnv;

    @BeforeEach
    void tableEnvironment() {
        env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        tableEnv = StreamTableEnvironment.create(env);
    }

    private Map<String, String> options(int maxNewTokens) {
        return Map.of(FloodOptions.MODEL_PATH.key(), Fixtures.demoModel().toAbsolutePath().toString(),
                FloodOptions.THREADS.key(), "2", FloodOptions.MAX_NEW_TOKENS.key(), Integer.toString(maxNewTokens),
                FloodOptions.TEMPERATURE.key(), "1.0", FloodOptions.SEED.key(), Long.toString(seed));
    }

    private static List<String> prompts() {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < NUM_ROWS; i++) {
            prompts.add("Record " + i + " of the crew, as JSON:");
        }
        return prompts;
    }

    /** A view {@code prompts(id INT, prompt STRING)}, ids in list order. */
    private void promptsView(List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            rows.add(Row.of(i, prompts.get(i)));
        }
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"id", "prompt"}, Types.INT,
                Types.STRING));
        tableEnv.createTemporaryView("prompts", tableEnv.fromDataStream(stream));
    }

    private void createModel(String name, int maxNewTokens) {
        StringBuilder with = new StringBuilder("'provider' = 'flood', 'output-schema' = '" + SCHEMA + "'");
        options(maxNewTokens).forEach((k, v) -> with.append(", '").append(k.substring("flood.".length()))
                .append("' = '").append(v).append('\''));
        tableEnv.executeSql("CREATE TEMPORARY MODEL " + name + " INPUT (prompt STRING) OUTPUT (name VARCHAR(20),"
                + " age INT, tags ARRAY<VARCHAR(12)>, finish_reason STRING, error STRING, text STRING) WITH (" + with + ")");
    }


    /**
     * ML_PREDICT's text column holds the JSON the typed columns come from; FLOOD_GENERATE with the literal schema
     * samples with the same seeds, so its rows equal the model's.
     */
    @Test
    void completeRowsAreTypedAndCutRowsAreNull() throws Exception {
        List<String> prompts = prompts();
        promptsView(prompts);
        createModel("extractor", 64);
        tableEnv.createTemporarySystemFunction("PERSON", new FloodGenerate(options(64)));

        Map<Integer, Row> model = TableRows.byId(tableEnv.executeSql("SELECT id, name, age, tags, finish_reason, error, "
                + "text FROM ML_PREDICT(TABLE prompts, MODEL extractor, DESCRIPTOR(prompt))"));
        Map<Integer, Row> literal = TableRows.byId(tableEnv.executeSql("SELECT id, PERSON(prompt, '" + SCHEMA + "') "
                + "FROM prompts"));

        OutputSchema schema = OutputSchema.parse(SCHEMA);
        SchemaCheck check = new SchemaCheck(schema.jsonSchema());
        int stopped = 0;
        int cut = 0;
        for (int i = 0; i < NUM_ROWS; i++) {
            Row row = model.get(i);
            String message = "row " + i + " (seed " + seed + "): " + row;
            String text = (String) row.getField(6);
            if (row.getField(5) == null) {
                // complete: stopped, or closed with the last token max tokens allowed
                stopped += "stop".equals(row.getField(4)) ? 1 : 0;
                assertEquals(List.of(), check.errors(text), message);
                RowData value = schema.toRow(text);
                assertEquals(value.getString(0).toString(), assertInstanceOf(String.class, row.getField(1)), message);
                assertEquals(value.getInt(1), assertInstanceOf(Integer.class, row.getField(2)), message);
                String[] tags = assertInstanceOf(String[].class, row.getField(3), message);
                assertEquals(value.getArray(2).size(), tags.length, message);
                for (int t = 0; t < tags.length; t++) {
                    assertEquals(value.getArray(2).getString(t).toString(), tags[t], message);
                }
                Row typed = assertInstanceOf(Row.class, literal.get(i).getField(1), message);
                assertEquals(row.getField(1), typed.getField(0), message);
                assertEquals(row.getField(2), typed.getField(1), message);
                assertArrayEquals(tags, (String[]) typed.getField(2), message);
            } else {
                cut++;
                assertEquals("length", row.getField(4), message);
                assertNull(row.getField(1), message);
                assertNull(row.getField(2), message);
                assertNull(row.getField(3), message);
                assertTrue(String.valueOf(row.getField(5)).contains("before it was complete for its response format"),
                        message);
                assertThrows(IllegalArgumentException.class, () -> schema.toRow(text), "the raw text is not JSON: "
                        + message);
                assertNull(literal.get(i).getField(1), message);
            }
        }
        assertTrue(stopped >= NUM_ROWS / 2, "rows that stopped: " + stopped + ", cut: " + cut + " (seed " + seed
                + ")");
    }

    /**
     * Max tokens too few for any JSON to close: every row NULL with finish reason length (the schema given to the
     * model, or to the function's constructor), or the query fails.
     */
    @Test
    void rowsCutByMaxTokensAreNullOrFailTheQuery() throws Exception {
        List<String> prompts = prompts().subList(0, 7);
        promptsView(prompts);
        createModel("cut", 3);
        Map<Integer, Row> rows = TableRows.byId(tableEnv.executeSql("SELECT id, name, age, tags, finish_reason, error "
                + "FROM ML_PREDICT(TABLE prompts, MODEL cut, DESCRIPTOR(prompt))"));
        assertEquals(prompts.size(), rows.size());
        for (Row row : rows.values()) {
            assertEquals(Row.of(row.getField(0), null, null, null, "length", "the output reached 3 tokens "
                    + "(max_tokens 3, or the model's context) before it was complete for its response format; its raw "
                    + "text is kept"), row);
        }

        Map<String, String> typed = new HashMap<>(options(3));
        typed.put(FloodOptions.OUTPUT_SCHEMA.key(), SCHEMA);
        tableEnv.createTemporarySystemFunction("PERSON_OF", new FloodGenerate(typed));
        Map<Integer, Row> nulls = TableRows.byId(tableEnv.executeSql("SELECT id, PERSON_OF(prompt).age FROM prompts"));
        assertEquals(prompts.size(), nulls.size(), "a ROW type from the constructor's options");
        nulls.values().forEach(row -> assertNull(row.getField(1), row.toString()));

        Map<String, String> failing = new HashMap<>(options(3));
        failing.put(FloodOptions.ON_ERROR.key(), "FAIL");
        tableEnv.createTemporarySystemFunction("PERSON", new FloodGenerate(failing));
        Exception e = assertThrows(Exception.class, () -> TableRows.byId(tableEnv.executeSql(
                "SELECT id, PERSON(prompt, '" + SCHEMA + "') FROM prompts")));
        assertTrue(ExceptionUtils.findThrowableWithMessage(e, "FLOOD_GENERATE failed: the output reached 3 tokens")
                .isPresent() && ExceptionUtils.stringifyException(e).contains("(finish_reason length)"),
                () -> ExceptionUtils.stringifyException(e));
    }

    /**
     * FLOOD_CHAT with a literal schema: a typed ROW from each conversation. The schema is bounded so that every JSON
     * closes within max tokens, whatever the tiny model's random weights sample: at most 40 characters plus 3 bytes
     * more for each of the name's 6 code points (byte tokens at worst), within 64 tokens.
     */
    @Test
    void floodChatReturnsTypedRows() throws Exception {
        Path chatModel = ChatModels.raisingChatMl(temp);
        Map<String, String> options = new HashMap<>(options(64));
        options.put(FloodOptions.MODEL_PATH.key(), chatModel.toString());
        tableEnv.createTemporarySystemFunction("FLOOD_CHAT", new FloodChat(options));
        promptsView(prompts().subList(0, 19));
        Map<Integer, Row> rows = TableRows.byId(tableEnv.executeSql("SELECT id, FLOOD_CHAT(ARRAY[ROW('system', 'Reply in "
                + "JSON.'), ROW('user', prompt)], 'name VARCHAR(6), age TINYINT, ok BOOLEAN') AS person FROM prompts"));
        assertEquals(19, rows.size());
        for (Row row : rows.values()) {
            Row person = assertInstanceOf(Row.class, row.getField(1), "row " + row + " (seed " + seed + ")");
            String name = assertInstanceOf(String.class, person.getField(0));
            assertTrue(name.codePointCount(0, name.length()) <= 6, "maxLength counts code points: " + row);
            assertInstanceOf(Byte.class, person.getField(1), row.toString());
            assertInstanceOf(Boolean.class, person.getField(2), row.toString());
        }
    }

    @Test
    void outputSchemasAreCheckedWhenTheQueryIsPlanned() {
        promptsView(List.of("a prompt"));
        tableEnv.createTemporarySystemFunction("PERSON", new FloodGenerate(options(8)));
        assertPlanningFails("SELECT id, PERSON(prompt, 'name STRING, born DATE') FROM prompts",
                "FLOOD_GENERATE: output schema: field born has type DATE, which has no JSON form here");
        assertPlanningFails("SELECT id, PERSON(prompt, prompt) FROM prompts", "Invalid input arguments");
        tableEnv.executeSql("CREATE TEMPORARY MODEL mismatched INPUT (prompt STRING) OUTPUT (age STRING) WITH "
                + "('provider' = 'flood', 'model.path' = '/m', 'output-schema' = '" + SCHEMA + "')");
        assertPlanningFails("SELECT id, age FROM ML_PREDICT(TABLE prompts, MODEL mismatched, DESCRIPTOR(prompt))",
                "OUTPUT column `age` STRING of a Flood model: the output schema gives the field age the type INT");
    }

    /** A schema argument beside another format in the function's options is a mistake in the query: it fails. */
    @Test
    void aSchemaArgumentBesideAnotherFormatFailsTheQuery() {
        promptsView(List.of("a prompt"));
        Map<String, String> options = new HashMap<>(options(8));
        options.put(FloodOptions.REGEX.key(), "[a-z]+");
        tableEnv.createTemporarySystemFunction("PERSON", new FloodGenerate(options));
        Exception e = assertThrows(Exception.class, () -> TableRows.byId(tableEnv.executeSql(
                "SELECT id, PERSON(prompt, '" + SCHEMA + "') FROM prompts")));
        assertTrue(ExceptionUtils.findThrowableWithMessage(e, "FLOOD_GENERATE has an output schema argument, and its "
                + "options set another format").isPresent(), () -> ExceptionUtils.stringifyException(e));
    }

    private void assertPlanningFails(String query, String message) {
        Exception e = assertThrows(Exception.class, () -> tableEnv.executeSql(query));
        assertTrue(ExceptionUtils.stringifyException(e).contains(message), () -> ExceptionUtils.stringifyException(e));
    }
}
