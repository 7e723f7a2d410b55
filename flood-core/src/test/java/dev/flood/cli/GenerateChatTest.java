package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.structured.SchemaCheck;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flood generate} with chat and response formats, in-process on tiny-llama with a chat template added in a
 * copy of its folder: {@code --chat}/{@code --system} prompts and JSONL {@code messages} lines render alike, bad
 * message lines fail alone, and every finished output of {@code --json-schema}, {@code --regex} and
 * {@code --choice} is a value of its format.
 */
class GenerateChatTest {

    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m.role | upper }}: "
            + "{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}";

    @TempDir
    Path temp;

    private String chatModel() throws IOException {
        Path source = Fixtures.model("tiny-llama").toAbsolutePath();
        Path model = Files.createDirectories(temp.resolve("chat-model"));
        try (var files = Files.list(source)) {
            for (Path file : files.toList()) {
                Files.createSymbolicLink(model.resolve(file.getFileName()), file);
            }
        }
        Files.writeString(model.resolve("chat_template.jinja"), TEMPLATE);
        return model.toString();
    }

    @Test
    void chatPromptsAndMessagesLinesRenderAlikeAndBadLinesFailAlone() throws IOException {
        String model = chatModel();
        Path input = temp.resolve("chats.jsonl");
        Files.write(input, List.of(
                "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hello\"}]}",
                "{\"messages\": []}",
                "{\"messages\": [{\"role\": \"user\"}]}",
                "{\"prompt\": \"Hello\"}"), StandardCharsets.UTF_8);
        Cli run = Cli.run("generate", "--model", model, "--input", input.toString(), "--system", "Be brief.",
                "--json", "--max-tokens", "5", "--ignore-eos", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(4, lines.size(), run.describe());
        JsonNode fromMessages = lines.get(0);
        JsonNode fromPrompt = lines.get(3);
        assertFalse(fromMessages.has("error"), fromMessages.toString());
        assertFalse(fromPrompt.has("error"), fromPrompt.toString());
        assertEquals(fromMessages.get("token_ids"), fromPrompt.get("token_ids"));
        assertEquals(fromMessages.get("prompt_tokens"), fromPrompt.get("prompt_tokens"));
        assertEquals("system", fromMessages.get("messages").get(0).get("role").asText(), fromMessages.toString());
        assertTrue(lines.get(1).get("error").asText().startsWith("line 2: 'messages' must be a non-empty array"),
                lines.get(1).toString());
        assertTrue(lines.get(2).get("error").asText().startsWith("line 3: 'messages'[0] must be an object with string"
                + " 'role' and 'content'"), lines.get(2).toString());

        Cli plain = Cli.run("generate", "--model", model, "--prompt", "Hello", "--json", "--max-tokens", "5",
                "--ignore-eos", "--threads", "2");
        assertTrue(plain.jsonLines().get(0).get("prompt_tokens").asInt() < fromPrompt.get("prompt_tokens").asInt(),
                "the template wraps the prompt");
    }

    /**
     * {@code --messages-column} names the column chat rows are read from: a JSONL field {@code conversation} renders
     * as {@code messages} would, a {@code messages} field is then only an input column kept in the output, and a
     * messages column named like the prompt column is refused up front.
     */
    @Test
    void messagesColumnPicksTheChatColumn() throws IOException {
        String model = chatModel();
        String conversation = "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", "
                + "\"content\": \"Hello\"}]";
        Path input = temp.resolve("conversations.jsonl");
        Files.write(input, List.of("{\"id\": 7, \"conversation\": " + conversation + "}",
                "{\"id\": 8, \"messages\": " + conversation + "}"), StandardCharsets.UTF_8);
        Cli run = Cli.run("generate", "--model", model, "--input", input.toString(), "--messages-column",
                "conversation", "--json", "--max-tokens", "5", "--ignore-eos", "--threads", "2");
        Cli reference = Cli.run("generate", "--model", model, "--prompt", "Hello", "--system", "Be brief.", "--json",
                "--max-tokens", "5", "--ignore-eos", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(2, lines.size(), run.describe());
        assertFalse(lines.get(0).has("error"), lines.get(0).toString());
        assertEquals(7, lines.get(0).get("id").asInt());
        assertEquals(reference.jsonLines().get(0).get("token_ids"), lines.get(0).get("token_ids"));
        assertTrue(lines.get(1).get("error").asText().startsWith("line 2: no 'prompt' field"),
                lines.get(1).toString());

        Cli same = Cli.run("generate", "--model", model, "--input", input.toString(), "--messages-column", "prompt");
        assertEquals(2, same.exitCode(), same.describe());
        assertTrue(same.describe().contains("--prompt-column and --messages-column must differ"), same.describe());
    }

    /**
     * A Parquet column {@code list<struct<role, content>>} (as Spark writes {@code array<struct<role, content>>})
     * is read as JSON Lines' {@code messages}: a chat renders as the same conversation given with --system; a
     * NULL list or a message with a NULL content fails its row alone; Parquet output keeps the column's type.
     */
    @Test
    void parquetMessagesColumnsAreChatRows() throws IOException {
        String model = chatModel();
        MessageType schema = MessageTypeParser.parseMessageType("message chats { required int32 id; optional group"
                + " messages (LIST) { repeated group list { optional group element { optional binary role (STRING);"
                + " optional binary content (STRING); } } } }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        List<Group> rows = new ArrayList<>();
        Group chat = factory.newGroup().append("id", 0);
        Group list = chat.addGroup("messages");
        list.addGroup("list").addGroup("element").append("role", "system").append("content", "Be brief.");
        list.addGroup("list").addGroup("element").append("role", "user").append("content", "Hello");
        rows.add(chat);
        rows.add(factory.newGroup().append("id", 1));
        Group noContent = factory.newGroup().append("id", 2);
        noContent.addGroup("messages").addGroup("list").addGroup("element").append("role", "user");
        rows.add(noContent);
        Path input = temp.resolve("chats.parquet");
        ParquetFiles.write(input, schema, rows);

        Cli run = Cli.run("generate", "--model", model, "--input", input.toString(), "--json", "--max-tokens", "5",
                "--ignore-eos", "--threads", "2");
        Cli plain = Cli.run("generate", "--model", model, "--prompt", "Hello", "--system", "Be brief.", "--json",
                "--max-tokens", "5", "--ignore-eos", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(3, lines.size(), run.describe());
        assertFalse(lines.get(0).has("error"), lines.get(0).toString());
        assertEquals(plain.jsonLines().get(0).get("token_ids"), lines.get(0).get("token_ids"), run.describe());
        assertEquals(plain.jsonLines().get(0).get("prompt_tokens"), lines.get(0).get("prompt_tokens"));
        assertEquals("Hello", lines.get(0).get("messages").get(1).get("content").asText(), lines.get(0).toString());
        assertEquals("row 2: 'messages' must be a non-empty array of {role, content} objects",
                lines.get(1).get("error").asText(), lines.get(1).toString());
        assertTrue(lines.get(2).get("error").asText().startsWith("row 3: 'messages'[0] must be an object with string"
                + " 'role' and 'content'"), lines.get(2).toString());

        Path output = temp.resolve("answers.parquet");
        Cli toParquet = Cli.run("generate", "--model", model, "--input", input.toString(), "--output",
                output.toString(), "--max-tokens", "5", "--ignore-eos", "--threads", "2");
        assertEquals(0, toParquet.exitCode(), toParquet.describe());
        assertEquals(schema.getType("messages"), ParquetFiles.schema(output).getType("messages"));
        assertEquals(lines.get(0).get("text").asText(), ParquetFiles.read(output).get(0).getString("text", 0));
    }

    @Test
    void aParquetMessagesColumnOfAnotherTypeIsRefusedUpFront() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message chats { optional group messages (LIST) { repeated group list { optional binary element"
                        + " (STRING); } } }");
        Group row = new SimpleGroupFactory(schema).newGroup();
        row.addGroup("messages").addGroup("list").append("element", "Hello");
        Path input = temp.resolve("strings.parquet");
        ParquetFiles.write(input, schema, List.of(row));
        Cli run = Cli.run("generate", "--model", Fixtures.model("tiny-llama").toString(), "--input", input.toString(),
                "--json", "--threads", "2");
        assertEquals(Main.FAILED, run.exitCode(), run.describe());
        assertTrue(run.err().contains(input + " has no column 'prompt', and its column 'messages' is not a list of"
                + " {role, content} string structs to read as chat"), run.describe());
    }

    @Test
    void scoreFailsAChatRowAloneWithTheReason() throws IOException {
        Path input = temp.resolve("texts.jsonl");
        Files.write(input, List.of("{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}",
                "{\"text\": \"Hello there, world.\"}"), StandardCharsets.UTF_8);
        Cli run = Cli.run("score", "--model", Fixtures.model("tiny-llama").toString(), "--input", input.toString(),
                "--json", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals("line 1: score takes a text, not chat messages", lines.get(0).get("error").asText(), run.describe());
        assertFalse(lines.get(1).has("error"), run.describe());
    }

    @Test
    void aModelWithoutTemplateFailsChatRowsWithTheReason() {
        Cli run = Cli.run("generate", "--model", Fixtures.model("tiny-llama").toString(), "--prompt", "Hello",
                "--chat", "--json", "--max-tokens", "2", "--threads", "2");
        assertEquals(Main.FAILED, run.exitCode(), run.describe()); // its one row failed
        assertTrue(run.jsonLines().get(0).get("error").asText().contains("this model has no chat template"),
                run.describe());
    }

    @Test
    void everyFinishedOutputIsAValueOfItsFormat() throws IOException {
        String schema = "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 0},"
                + " \"tag\": {\"enum\": [\"a\", \"b\"]}}, \"required\": [\"n\", \"tag\"]}";
        Path schemaFile = temp.resolve("schema.json");
        Files.writeString(schemaFile, schema);
        SchemaCheck check = new SchemaCheck(schema);
        List<String[]> runs = List.of(
                new String[] {"--json-schema", schemaFile.toString()},
                new String[] {"--regex", "[a-z]{1,4}-[0-9]{2}"},
                new String[] {"--choice", "red", "--choice", "green", "--choice", "light blue"});
        for (String[] format : runs) {
            List<String> args = new ArrayList<>(List.of("generate", "--model", Fixtures.model("tiny-llama").toString(),
                    "--json", "--max-tokens", "32", "--temperature", "1", "--seed", "3", "--threads", "2"));
            for (int i = 0; i < 8; i++) {
                args.addAll(List.of("--prompt", "Row " + i + ":"));
            }
            args.addAll(List.of(format));
            Cli run = Cli.run(args.toArray(String[]::new));
            assertEquals(0, run.exitCode(), run.describe());
            int finished = 0;
            for (JsonNode line : run.jsonLines()) {
                String text = line.get("text").asText();
                if (!line.has("error")) {
                    finished++;
                    switch (format[0]) {
                        case "--json-schema" -> assertEquals(List.of(), check.errors(text), text);
                        case "--regex" -> assertTrue(text.matches("[a-z]{1,4}-[0-9]{2}"), text);
                        default -> assertTrue(List.of("red", "green", "light blue").contains(text), text);
                    }
                } else {
                    assertEquals("length", line.get("finish_reason").asText(), line.toString());
                }
            }
            assertTrue(finished > 0, format[0] + ": " + run.describe());
        }
    }
}
