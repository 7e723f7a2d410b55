package dev.flood.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.ChatMessage;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerationResult;
import dev.flood.flink.datastream.FloodAsync;
import dev.flood.flink.internal.FloodMetrics;
import dev.flood.flink.table.FloodFunctions;
import dev.flood.flink.testing.ChatModels;
import dev.flood.flink.testing.JobMetrics;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import dev.flood.flink.testing.TableRows;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.TypeInformation;
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
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat on a MiniCluster (two subtasks sharing the engine) with a ChatML model ({@link ChatModels}): FLOOD_CHAT in
 * SQL, ML_PREDICT over a messages column and {@code FloodAsync.chat} give the texts an engine outside Flink gives
 * for {@code GenerateRequest.ofMessages} with the seeds the connector derives (temperature 0.8, so a wrong seed or
 * a wrong rendering would show), prompts as long as transformers rendered the fixture's conversations; NULL
 * messages give NULL; each bad conversation (a role the template raises on, none, a NULL message or content, a
 * model without a template) fails alone with its reason.
 */
class ChatIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(REPORTER.addToConfiguration(new Configuration())).build());

    @TempDir
    static Path temp;
    private static Path chatModel;
    private static List<ChatModels.Case> cases;

    private final long seed = System.nanoTime();
    private StreamExecutionEnvironment env;
    private StreamTableEnvironment tableEnv;

    @BeforeAll
    static void model() throws IOException {
        chatModel = ChatModels.raisingChatMl(temp);
        cases = ChatModels.cases();
    }

    @BeforeEach
    void tableEnvironment() {
        env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        tableEnv = StreamTableEnvironment.create(env);
    }

    private Map<String, String> options(Path model) {
        return Map.of(FloodOptions.MODEL_PATH.key(), model.toString(), FloodOptions.THREADS.key(), "1",
                FloodOptions.MAX_NEW_TOKENS.key(), "8", FloodOptions.TEMPERATURE.key(), "0.8",
                FloodOptions.SEED.key(), Long.toString(seed));
    }

    /**
     * The fixture's conversations, then fresh one-message ones, then the bad rows: NULL messages (row n), a role
     * the template raises on (n + 1), no messages (n + 2), a NULL content (n + 3), a NULL message (n + 4).
     */
    private List<Row[]> conversations() {
        List<Row[]> conversations = new ArrayList<>();
        cases.forEach(c -> conversations.add(c.rows()));
        for (String prompt : TestPrompts.random(new Random(seed), 5)) {
            conversations.add(new Row[] {Row.of("system", "Answer briefly."), Row.of("user", prompt)});
        }
        conversations.add(null);
        conversations.add(new Row[] {Row.of("user", "hello"), Row.of("tool", "{}")});
        conversations.add(new Row[0]);
        conversations.add(new Row[] {Row.of("user", null)});
        conversations.add(new Row[] {Row.of("user", "hello"), null});
        return conversations;
    }

    private int numGood() {
        return cases.size() + 5;
    }

    private static List<ChatMessage> messages(Row[] rows) {
        return Arrays.stream(rows).map(r -> new ChatMessage((String) r.getField(0), (String) r.getField(1))).toList();
    }

    /** The good conversations' results from an engine opened outside Flink, with the connector's seeds. */
    private List<GenerationResult> reference(List<Row[]> conversations, Path model) {
        FloodSettings settings = FloodSettings.resolve(options(model), key -> null, TaskManagerSlots.UNKNOWN);
        try (FloodEngine engine = FloodEngine.open(settings.engine())) {
            return engine.generate(conversations.subList(0, numGood()).stream()
                    .map(rows -> settings.requestForMessages(messages(rows))).toList());
        }
    }

    /** A view {@code chats(id INT, name STRING, messages ARRAY<ROW<role STRING, content STRING>>)}, ids in order. */
    private void chatsView(List<Row[]> conversations) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            rows.add(Row.of(i, i % 3 == 0 ? null : "name " + i, conversations.get(i)));
        }
        DataStream<Row> stream = env.fromData(rows, Types.ROW_NAMED(new String[] {"id", "name", "messages"}, Types.INT,
                Types.STRING, Types.OBJECT_ARRAY(Types.ROW_NAMED(new String[] {"role", "content"}, Types.STRING,
                        Types.STRING))));
        tableEnv.createTemporaryView("chats", tableEnv.fromDataStream(stream));
    }


    @Test
    void floodChatInSqlGivesTheEnginesTextsAndFailsBadRowsAlone() throws Exception {
        FloodFunctions.register(tableEnv, options(chatModel));
        List<Row[]> conversations = conversations();
        List<GenerationResult> reference = reference(conversations, chatModel);
        chatsView(conversations);

        TableResult result = tableEnv.executeSql("SELECT id, FLOOD_CHAT(messages) FROM chats");
        JobID job = result.getJobClient().orElseThrow().getJobID();
        Map<Integer, Row> rows = TableRows.byId(result);

        assertEquals(conversations.size(), rows.size(), "one row per input row");
        for (int i = 0; i < numGood(); i++) {
            assertNull(reference.get(i).error(), reference.get(i).error());
            assertEquals(reference.get(i).text(), rows.get(i).getField(1), "row " + i + " (seed " + seed + ")");
        }
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(cases.get(i).numPromptTokens(), reference.get(i).promptTokens(),
                    "the template renders the fixture's conversation " + i + " as transformers did");
        }
        for (int i = numGood(); i < conversations.size(); i++) {
            assertNull(rows.get(i).getField(1), "row " + i + " is NULL");
        }
        result.getJobClient().orElseThrow().getJobExecutionResult().get();
        assertEquals(conversations.size() - 1, JobMetrics.sum(REPORTER, job, FloodMetrics.REQUESTS),
                "every row but the NULL one");
        assertEquals(4, JobMetrics.sum(REPORTER, job, FloodMetrics.ERRORS), "the four bad conversations");
    }

    /** With on-error FAIL the template's own message names the row's problem. */
    @Test
    void aTemplateThatRaisesFailsTheQueryWithItsMessage() {
        Map<String, String> options = new HashMap<>(options(chatModel));
        options.put(FloodOptions.ON_ERROR.key(), "FAIL");
        FloodFunctions.register(tableEnv, options);
        chatsView(List.of(cases.get(0).rows(), new Row[] {Row.of("tool", "{}")}));
        Exception e = assertThrows(Exception.class,
                () -> TableRows.byId(tableEnv.executeSql("SELECT id, FLOOD_CHAT(messages) FROM chats")));
        assertTrue(ExceptionUtils.findThrowableWithMessage(e, "FLOOD_CHAT failed: chat template "
                + chatModel.resolve("chat_template.jinja") + ": it raised: unknown role tool").isPresent(),
                () -> ExceptionUtils.stringifyException(e));
    }

    /** ML_PREDICT keeps NULLs in the other columns and says why each bad row failed. */
    @Test
    void mlPredictOverMessagesKeepsNullsAndSaysWhy() throws Exception {
        List<Row[]> conversations = conversations();
        List<GenerationResult> reference = reference(conversations, chatModel);
        chatsView(conversations);
        createModel("assistant", chatModel);
        createModel("no_template", Fixtures.model("tiny-llama").toAbsolutePath());

        Map<Integer, Row> rows = TableRows.byId(tableEnv.executeSql("SELECT id, name, text, finish_reason, error FROM "
                + "ML_PREDICT(TABLE chats, MODEL assistant, DESCRIPTOR(messages))"));
        assertEquals(conversations.size(), rows.size());
        for (int i = 0; i < conversations.size(); i++) {
            assertEquals(i % 3 == 0 ? null : "name " + i, rows.get(i).getField(1), "name of row " + i);
        }
        for (int i = 0; i < numGood(); i++) {
            assertEquals(reference.get(i).text(), rows.get(i).getField(2), "row " + i + " (seed " + seed + ")");
            assertEquals(reference.get(i).finishReason().wireName(), rows.get(i).getField(3));
            assertNull(rows.get(i).getField(4));
        }
        int n = numGood();
        List<String> errors = List.of("messages are NULL", "chat template " + chatModel.resolve("chat_template.jinja")
                + ": it raised: unknown role tool", "a chat needs at least one message",
                "message 0 has a NULL content", "message 1 is null");
        for (int i = 0; i < errors.size(); i++) {
            Row bad = rows.get(n + i);
            assertNull(bad.getField(2), "row " + (n + i));
            assertEquals("error", bad.getField(3), "row " + (n + i));
            assertEquals(errors.get(i), bad.getField(4), "row " + (n + i));
        }

        Map<Integer, Row> noTemplate = TableRows.byId(tableEnv.executeSql("SELECT id, error FROM "
                + "ML_PREDICT(TABLE chats, MODEL no_template, DESCRIPTOR(messages))"));
        assertTrue(Objects.toString(noTemplate.get(0).getField(1)).startsWith("this model has no chat template: "),
                String.valueOf(noTemplate.get(0)));
    }

    private void createModel(String name, Path model) {
        StringBuilder with = new StringBuilder("'provider' = 'flood'");
        options(model).forEach((k, v) -> with.append(", '").append(k.substring("flood.".length())).append("' = '")
                .append(v).append('\''));
        tableEnv.executeSql("CREATE TEMPORARY MODEL " + name + " INPUT (messages ARRAY<ROW<role STRING, content "
                + "STRING>>) OUTPUT (text STRING, finish_reason STRING, error STRING) WITH (" + with + ")");
    }

    /** A conversation of the DataStream test (a public record: Flink serializes it as a POJO). */
    public record Conversation(int id, List<ChatMessage> messages) implements Serializable {
    }

    /** The text or error of one conversation. */
    public record Reply(int id, String text, String error) implements Serializable {
    }

    @Test
    void floodAsyncChatGivesTheEnginesTexts() throws Exception {
        List<Row[]> conversations = conversations();
        List<GenerationResult> reference = reference(conversations, chatModel);
        List<Conversation> events = new ArrayList<>();
        for (int i = 0; i < numGood(); i++) {
            events.add(new Conversation(i, messages(conversations.get(i))));
        }
        events.add(new Conversation(numGood(), null));
        events.add(new Conversation(numGood() + 1, List.of(new ChatMessage("tool", "{}"))));
        DataStream<Conversation> input = env.fromData(events, TypeInformation.of(Conversation.class)).rebalance();

        List<Reply> out = new ArrayList<>();
        try (CloseableIterator<Reply> it = FloodAsync.chat(input, Conversation::messages,
                        (c, r) -> new Reply(c.id(), r.text(), r.error()), TypeInformation.of(Reply.class))
                .options(Configuration.fromMap(options(chatModel))).unordered().capacity(4).apply()
                .executeAndCollect()) {
            it.forEachRemaining(out::add);
        }

        assertEquals(events.size(), out.size());
        for (Reply reply : out) {
            if (reply.id() < numGood()) {
                assertNull(reply.error(), reply.error());
                assertEquals(reference.get(reply.id()).text(), reply.text(), "conversation " + reply.id()
                        + " (seed " + seed + ")");
            } else {
                assertEquals(reply.id() == numGood() ? "messages are null" : "chat template "
                        + chatModel.resolve("chat_template.jinja") + ": it raised: unknown role tool", reply.error());
            }
        }
    }
}
