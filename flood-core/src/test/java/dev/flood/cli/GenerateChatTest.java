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
        assertTrue(fromMessages.get("prompt").asText().startsWith("[{\"role\":\"system\""), fromMessages.toString());
        assertTrue(lines.get(1).get("error").asText().startsWith("line 2: 'messages' must be a non-empty array"),
                lines.get(1).toString());
        assertTrue(lines.get(2).get("error").asText().startsWith("line 3: 'messages'[0] must be an object with string"
                + " 'role' and 'content'"), lines.get(2).toString());

        Cli plain = Cli.run("generate", "--model", model, "--prompt", "Hello", "--json", "--max-tokens", "5",
                "--ignore-eos", "--threads", "2");
        assertTrue(plain.jsonLines().get(0).get("prompt_tokens").asInt() < fromPrompt.get("prompt_tokens").asInt(),
                "the template wraps the prompt");
    }

    @Test
    void aModelWithoutTemplateFailsChatRowsWithTheReason() {
        Cli run = Cli.run("generate", "--model", Fixtures.model("tiny-llama").toString(), "--prompt", "Hello",
                "--chat", "--json", "--max-tokens", "2", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
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
