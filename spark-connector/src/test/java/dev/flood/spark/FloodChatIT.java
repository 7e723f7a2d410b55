package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_chat;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.ChatMessage;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * flood_chat over {@code array<struct<role, content>>} rows generates, token for token, what the engine generates
 * for {@code GenerateRequest.ofMessages} with the connector's row seeds (tiny-mixtral, whose ChatML template the
 * fixture's {@code chat_cases} check against transformers); bad rows fail alone with their reason.
 */
class FloodChatIT {

    private static final long SEED = System.nanoTime();
    private static final String MODEL = "tiny-mixtral";
    private static final StructType MESSAGE = new StructType()
            .add("role", DataTypes.StringType)
            .add("content", DataTypes.StringType);
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType)
            .add("messages", DataTypes.createArrayType(MESSAGE));
    /** A template that raises on roles other than system, user and assistant, as many real ones do. */
    private static final String STRICT_TEMPLATE = "{% for m in messages %}"
            + "{% if m.role not in ['system', 'user', 'assistant'] %}{{ raise_exception('unknown role ' + m.role) }}"
            + "{% endif %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    static Path strictModel;

    private static SparkSession spark;
    private static FloodEngine engine;
    /** The fixture's chat cases, then random conversations. */
    private static List<List<ChatMessage>> conversations;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSession.get();
        engine = FloodEngine.open(settings(Map.of()).engineConfig(List.of()));
        conversations = new ArrayList<>(chatCases());
        Random random = new Random(SEED);
        for (int i = 0; i < 9; i++) {
            List<ChatMessage> conversation = new ArrayList<>();
            if (random.nextBoolean()) {
                conversation.add(ChatMessage.system(TestPrompts.words(random, 1 + random.nextInt(5))));
            }
            for (int turn = random.nextInt(3); turn > 0; turn--) {
                conversation.add(ChatMessage.user(TestPrompts.words(random, 1 + random.nextInt(6))));
                conversation.add(ChatMessage.assistant(TestPrompts.words(random, 1 + random.nextInt(6))));
            }
            conversation.add(ChatMessage.user(TestPrompts.words(random, 1 + random.nextInt(8))));
            conversations.add(conversation);
        }
        try (var files = Files.list(Fixtures.model(MODEL))) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals("chat_template.jinja")) {
                    Files.createSymbolicLink(strictModel.resolve(file.getFileName()), file);
                }
            }
        }
        Files.writeString(strictModel.resolve("chat_template.jinja"), STRICT_TEMPLATE);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static List<List<ChatMessage>> chatCases() throws IOException {
        JsonNode root = new ObjectMapper().readTree(Fixtures.model(MODEL).resolve("reference.json").toFile());
        List<List<ChatMessage>> cases = new ArrayList<>();
        for (JsonNode c : root.get("chat_cases")) {
            List<ChatMessage> messages = new ArrayList<>();
            c.get("messages").forEach(m -> messages.add(new ChatMessage(m.get("role").asText(),
                    m.get("content").asText())));
            cases.add(messages);
        }
        return cases;
    }

    /** The call's settings on the chat model. */
    private static FloodSettings settings(Map<String, String> options) {
        Map<String, String> withModel = new java.util.HashMap<>(options);
        withModel.putIfAbsent("model", Fixtures.model(MODEL).toString());
        return FloodSettings.resolve(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), withModel);
    }

    private static Map<String, String> options(String... keysAndValues) {
        Map<String, String> options = new java.util.HashMap<>();
        options.put("model", Fixtures.model(MODEL).toString());
        for (int i = 0; i < keysAndValues.length; i += 2) {
            options.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return options;
    }

    private static Row row(int id, List<ChatMessage> conversation) {
        return RowFactory.create(id, conversation == null ? null
                : conversation.stream().map(m -> RowFactory.create(m.role(), m.content())).toList());
    }

    private static Dataset<Row> frame(List<List<ChatMessage>> rows) {
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            data.add(row(i, rows.get(i)));
        }
        return spark.createDataFrame(data, SCHEMA);
    }

    /** What the engine generates for each conversation with the call's settings and the connector's row seeds. */
    private static List<GenerationResult> direct(Map<String, String> options, String system) {
        FloodSettings settings = settings(options);
        List<GenerateRequest> requests = new ArrayList<>();
        for (List<ChatMessage> conversation : conversations) {
            List<ChatMessage> sent = new ArrayList<>();
            if (system != null) {
                sent.add(ChatMessage.system(system));
            }
            sent.addAll(conversation);
            requests.add(GenerateRequest.ofMessages(sent, settings.sampling().toBuilder()
                    .seed(RowSeeds.seedOfMessages(settings, conversation)).build()));
        }
        return engine.generate(requests);
    }

    @Test
    void chatMatchesTheEngineAsDataFrameSqlAndTransform() {
        Map<String, String> options = options("temperature", "0.8", "top_p", "0.9", "max_tokens", "10", "seed", "5",
                "output", "struct");
        List<GenerationResult> expected = direct(options, null);
        Dataset<Row> frame = frame(conversations);
        List<Row> dataFrame = frame.select(col("id"), flood_chat(col("messages"), options).as("out")).collectAsList();
        List<Row> transformed = frame.transform(FloodTransforms.chat("messages", "out", options)).collectAsList();
        frame.createOrReplaceTempView("chats");
        List<Row> sql = spark.sql("SELECT id, flood_chat(messages, map('model', '" + Fixtures.model(MODEL)
                + "', 'temperature', '0.8', 'top_p', '0.9', 'max_tokens', '10', 'seed', '5')) FROM chats").collectAsList();
        for (int i = 0; i < conversations.size(); i++) {
            String message = "row " + i + " " + conversations.get(i) + " (seed " + SEED + ")";
            GenerationResult e = expected.get(i);
            assertNull(e.error(), message);
            for (Row out : List.of(dataFrame.get(i).getStruct(1), transformed.get(i).getStruct(2))) {
                assertEquals(e.text(), out.getAs("text"), message);
                assertEquals(e.finishReason().wireName(), out.getAs("finish_reason"), message);
                assertEquals(e.promptTokens(), (int) out.getAs("prompt_tokens"), message);
                assertEquals(e.completionTokens(), (int) out.getAs("completion_tokens"), message);
                assertNull(out.getAs("error"), message);
            }
            assertEquals(i, sql.get(i).getInt(0), "input order");
            assertEquals(e.text(), sql.get(i).getString(1), message);
        }
        // the fixture's first case: the prompt is the template's text that transformers rendered, tokenized
        assertEquals(chatCaseInputIds(0), expected.get(0).promptTokens(), "prompt tokens of chat case 0");
    }

    private static int chatCaseInputIds(int index) {
        try {
            JsonNode root = new ObjectMapper().readTree(Fixtures.model(MODEL).resolve("reference.json").toFile());
            return root.get("chat_cases").get(index).get("input_ids").size();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** flood_chat with output_schema holds each reply to the schema's JSON, as the engine does, and types it. */
    @Test
    void chatWithAnOutputSchema() throws IOException {
        Map<String, String> options = options("output_schema", "answer BOOLEAN, votes ARRAY<TINYINT>",
                "temperature", "1", "max_tokens", "16", "seed", "9", "output", "struct");
        FloodSettings settings = settings(options);
        List<GenerateRequest> requests = new ArrayList<>();
        for (List<ChatMessage> conversation : conversations) {
            requests.add(GenerateRequest.ofMessages(conversation, settings.sampling().toBuilder()
                    .seed(RowSeeds.seedOfMessages(settings, conversation)).build())
                    .withResponseFormat(settings.responseFormat()));
        }
        List<GenerationResult> expected = engine.generate(requests);
        List<Row> out = frame(conversations).select(flood_chat(col("messages"), options).as("out"))
                .select("out.value", "out.text", "out.finish_reason", "out.error").collectAsList();
        for (int i = 0; i < conversations.size(); i++) {
            String message = "row " + i + " (seed " + SEED + "): " + out.get(i);
            GenerationResult e = expected.get(i);
            assertEquals(e.text(), out.get(i).getString(1), message);
            assertEquals(e.finishReason().wireName(), out.get(i).getString(2), message);
            assertEquals(e.error(), out.get(i).getString(3), message);
            if (e.isUsable()) {
                JsonNode json = new ObjectMapper().readTree(e.text());
                Row value = out.get(i).getStruct(0);
                assertEquals(json.get("answer").booleanValue(), value.getBoolean(0), message);
                List<Byte> votes = new ArrayList<>();
                json.get("votes").forEach(v -> votes.add((byte) v.intValue()));
                assertEquals(votes, value.getList(1), message);
            } else {
                assertNull(out.get(i).get(0), message);
            }
        }
    }

    /**
     * Spark's JSON reader orders struct fields by name (content, role): read by name, the same messages give the
     * same completions. The system option goes before each row's messages.
     */
    @Test
    void fieldsInEitherOrderAndASystemOption() {
        Map<String, String> options = options("max_tokens", "6", "system", "Answer briefly.");
        List<GenerationResult> expected = direct(options, "Answer briefly.");
        StructType swapped = new StructType().add("id", DataTypes.IntegerType).add("messages",
                DataTypes.createArrayType(new StructType().add("content", DataTypes.StringType)
                        .add("role", DataTypes.StringType)));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            rows.add(RowFactory.create(i, conversations.get(i).stream()
                    .map(m -> RowFactory.create(m.content(), m.role())).toList()));
        }
        List<Row> out = spark.createDataFrame(rows, swapped).select(flood_chat(col("messages"), options))
                .collectAsList();
        for (int i = 0; i < conversations.size(); i++) {
            assertEquals(expected.get(i).text(), out.get(i).getString(0), "row " + i + " (seed " + SEED + ")");
        }
    }

    /** A NULL array gives null; a NULL message, role or content, or a role the template refuses, fails its row alone. */
    @Test
    void badRowsFailAloneWithTheirReason() {
        List<List<ChatMessage>> rows = Arrays.asList(
                List.of(ChatMessage.user("Hello")),
                null,
                List.of(),
                List.of(new ChatMessage("tool", "{\"temperature\": 21}")),
                List.of(ChatMessage.user("How are you?")));
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            data.add(row(i, rows.get(i)));
        }
        data.add(RowFactory.create(5, Arrays.asList(RowFactory.create("user", "Hi"), null)));
        data.add(RowFactory.create(6, List.of(RowFactory.create("system", "Be kind."), RowFactory.create(null, "Hi"))));
        data.add(RowFactory.create(7, List.of(RowFactory.create("user", null))));
        Map<String, String> options = Map.of("model", strictModel.toString(), "max_tokens", "4");
        Map<String, String> struct = new java.util.HashMap<>(options);
        struct.put("output", "struct");
        List<Row> out = spark.createDataFrame(data, SCHEMA)
                .select(flood_chat(col("messages"), options).as("plain"), flood_chat(col("messages"), struct).as("s"))
                .collectAsList();
        assertEquals(8, out.size());
        for (int good : new int[] {0, 4}) {
            assertNotNull(out.get(good).getString(0), "row " + good);
            assertNull(out.get(good).getStruct(1).getAs("error"), "row " + good);
        }
        assertBad(out.get(1), "messages are null");
        assertBad(out.get(2), "a chat needs at least one message");
        assertBad(out.get(3), "chat template " + strictModel.resolve("chat_template.jinja"));
        assertBad(out.get(3), "unknown role tool");
        assertBad(out.get(5), "message 1 is null");
        assertBad(out.get(6), "message 1 has a null role");
        assertBad(out.get(7), "message 0 has a null content");
    }

    private static void assertBad(Row row, String error) {
        assertNull(row.get(0), "plain output of a failed row");
        Row struct = row.getStruct(1);
        assertNull(struct.getAs("text"));
        assertEquals("error", struct.getAs("finish_reason"));
        String actual = struct.getAs("error");
        assertTrue(actual.contains(error), "expected '" + error + "' in: " + actual);
    }

    /** The session's model, tiny-llama, has no chat template: each row says so, and on_error=fail names the row. */
    @Test
    void aModelWithoutATemplateFailsEveryChatRow() {
        Dataset<Row> chats = frame(conversations.subList(0, 3));
        chats.createOrReplaceTempView("llama_chats");
        List<Row> out = spark.sql("SELECT flood_chat(messages, map('output', 'struct')).error FROM llama_chats")
                .collectAsList();
        for (Row row : out) {
            assertTrue(row.getString(0).startsWith("this model has no chat template: "), row.getString(0));
        }
        SparkException e = assertThrows(SparkException.class, () -> spark.sql("SELECT flood_chat(messages, "
                + "map('on_error', 'fail', 'key_column', 'id')) FROM llama_chats WHERE id = 1").collectAsList());
        assertTrue(e.getMessage().contains("flood_chat failed (on_error=fail) on the row with id=1, messages "
                + "[system: '  Answer in one word.  ', …] (2 messages) (row 0 of partition "), e.getMessage());
        assertTrue(e.getMessage().contains("this model has no chat template"), e.getMessage());
    }

    @Test
    void messagesOfAnotherTypeFailAnalysis() {
        frame(conversations.subList(0, 1)).createOrReplaceTempView("one_chat");
        assertFailure(() -> spark.sql("SELECT flood_chat('hello') FROM one_chat"),
                "flood_chat: messages must be array<struct<role: string, content: string>>, got string");
        assertFailure(() -> spark.sql("SELECT flood_chat(array(named_struct('role', 'user', 'content', 'hi', "
                        + "'name', 'x'))) FROM one_chat"),
                "flood_chat: a message struct holds only role and content, got a field 'name'");
        assertFailure(() -> spark.sql("SELECT flood_chat(array(named_struct('role', 'user', 'content', 1))) "
                + "FROM one_chat"), "flood_chat: a message's content must be a string, got int");
        assertFailure(() -> frame(conversations.subList(0, 1)).transform(FloodTransforms.chat("id", "out", Map.of())),
                "flood_chat: column 'id' must be array<struct<role: string, content: string>>, got int");
    }

    static void assertFailure(org.junit.jupiter.api.function.Executable action, String message) {
        Exception e = assertThrows(Exception.class, action);
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains(message), "expected '" + message + "' in:\n" + messages);
    }
}
