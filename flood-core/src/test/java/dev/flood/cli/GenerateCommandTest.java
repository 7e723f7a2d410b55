package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** {@code flood generate} in-process on the fixture checkpoints. */
class GenerateCommandTest {

    static final List<String> MODELS = Fixtures.MODELS;
    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    @TempDir
    Path temp;

    /** Greedy tokens must be identical to transformers', and so must their text. */
    @ParameterizedTest
    @FieldSource("MODELS")
    void jsonReproducesTransformersGreedyTokensAndText(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        List<String> args = new ArrayList<>(List.of("generate", "--model", Fixtures.model(name).toString(),
                "--json", "--max-tokens", "24", "--ignore-eos", "--threads", "2"));
        for (Fixtures.Case c : cases) {
            args.add("--prompt");
            args.add(c.prompt());
        }
        Cli run = Cli.run(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(cases.size(), lines.size(), run.describe());
        for (int i = 0; i < cases.size(); i++) {
            Fixtures.Case c = cases.get(i);
            JsonNode line = lines.get(i);
            assertEquals(c.prompt(), line.get("prompt").asText());
            assertArrayEquals(c.greedy24(), ints(line.get("token_ids")), name + " '" + c.prompt() + "'");
            assertEquals(c.greedyText(), line.get("text").asText(), name + " '" + c.prompt() + "'");
            assertEquals("length", line.get("finish_reason").asText());
            assertEquals(c.inputIds().length, line.get("prompt_tokens").asInt());
            assertEquals(24, line.get("completion_tokens").asInt());
            assertFalse(line.has("error"), line.toString());
            assertFalse(line.has("logprobs"), "logprobs only when asked: " + line);
        }
        assertTrue(run.err().contains("generate: prompts " + cases.size() + ", failed 0, prompt tokens "
                + cases.stream().mapToInt(c -> c.inputIds().length).sum() + ", generated tokens " + 24 * cases.size()),
                run.err());
    }

    @Test
    void badJsonlLinesFailAloneAndOutputStaysInInputOrder() throws IOException {
        Path input = temp.resolve("prompts.jsonl");
        Files.write(input, List.of(
                "{\"prompt\": \"Hello\"}",
                "{not json",
                "{\"text\": \"no prompt field\"}",
                "{\"prompt\": null}",
                "{\"prompt\": \"Hi\", \"temperature\": -1}",
                "{\"prompt\": \"The quick brown fox\", \"max_tokens\": 3, \"id\": 17}",
                "{\"prompt\": 42}",
                "{\"prompt\": \"Hello\", \"top_p\": \"high\"}",
                "[1, 2]",
                "",
                "{\"prompt\": \"Hello\"}"), StandardCharsets.UTF_8);
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--json",
                "--max-tokens", "6", "--ignore-eos", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(11, lines.size(), run.describe());

        int[] hello = prefix(Fixtures.cases("tiny-llama").stream().filter(c -> c.prompt().equals("Hello"))
                .findFirst().orElseThrow().greedy24(), 6);
        for (int good : new int[] {0, 10}) {
            assertFalse(lines.get(good).has("error"), lines.get(good).toString());
            assertEquals("Hello", lines.get(good).get("prompt").asText());
            assertArrayEquals(hello, ints(lines.get(good).get("token_ids")));
        }
        JsonNode overridden = lines.get(5);
        assertFalse(overridden.has("error"), overridden.toString());
        assertEquals(3, overridden.get("completion_tokens").asInt(), "max_tokens of the line overrides --max-tokens");
        assertEquals(17, overridden.get("id").asInt(), "the line's other fields are kept");
        assertEquals("length", overridden.get("finish_reason").asText());

        assertError(lines.get(1), "line 2: not valid JSON: ");
        assertError(lines.get(2), "line 3: no 'prompt' field");
        assertError(lines.get(3), "line 4: 'prompt' is null");
        assertError(lines.get(4), "line 5: temperature must be >= 0 (0 means greedy), got -1.0");
        assertEquals("Hi", lines.get(4).get("prompt").asText());
        assertError(lines.get(6), "line 7: 'prompt' must be a string, got 42");
        assertError(lines.get(7), "line 8: top_p must be a number, got \"high\"");
        assertError(lines.get(8), "line 9: expected a JSON object, got array");
        assertError(lines.get(9), "line 10: empty line, expected a JSON object");
        assertTrue(run.err().contains("generate: prompts 11, failed 8,"), run.err());
        assertTrue(run.err().contains("flood generate: 8 of 11 rows failed (each has its error in the output); the first: "
                + "line 2: not valid JSON: "), run.err());
    }

    @Test
    void logprobsListTheChosenTokenAndItsTopAlternatives() {
        Cli run = Cli.run("generate", "--model", LLAMA, "--prompt", "Hello", "--json", "--max-tokens", "5",
                "--logprobs", "3", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode line = run.jsonLines().get(0);
        JsonNode logprobs = line.get("logprobs");
        assertEquals(line.get("completion_tokens").asInt(), logprobs.size());
        for (int i = 0; i < logprobs.size(); i++) {
            JsonNode entry = logprobs.get(i);
            assertEquals(line.get("token_ids").get(i).asInt(), entry.get("id").asInt());
            assertTrue(entry.get("token").isTextual(), entry.toString());
            assertEquals(3, entry.get("top").size());
            // greedy: the chosen token is the most likely one, so it heads its own top list with the same logprob
            assertEquals(entry.get("id").asInt(), entry.get("top").get(0).get("id").asInt());
            assertEquals(entry.get("logprob").asDouble(), entry.get("top").get(0).get("logprob").asDouble(), 0.0);
            assertTrue(entry.get("logprob").asDouble() < 0);
        }
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        // tiny-llama continues "Hello" with "wcepcepw..."; stopping at "cep" leaves "w"
        Cli run = Cli.run("generate", "--model", LLAMA, "--prompt", "Hello", "--json", "--max-tokens", "10",
                "--stop", "cep", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode line = run.jsonLines().get(0);
        assertEquals("w", line.get("text").asText());
        assertEquals("stop", line.get("finish_reason").asText());
    }

    @Test
    void plainOutputShowsPromptThenCompletion() {
        String[] args = {"generate", "--model", LLAMA, "--prompt", "Hello", "--max-tokens", "8", "--threads", "2"};
        Cli plain = Cli.run(args);
        assertEquals(0, plain.exitCode(), plain.describe());
        List<String> withJson = new ArrayList<>(List.of(args));
        withJson.add("--json");
        String text = Cli.run(withJson.toArray(String[]::new)).jsonLines().get(0).get("text").asText();
        assertEquals(">>> Hello\n" + text + "\n[5 prompt tokens, 8 generated, finished: length]\n\n", plain.out());
    }

    @Test
    void longInputStreamsInOrderThroughASmallWindowWithProgress() throws IOException {
        Path input = temp.resolve("many.jsonl");
        List<String> lines = new ArrayList<>();
        int count = 37;
        for (int i = 0; i < count; i++) {
            lines.add("{\"q\": \"prompt number " + i + "\", \"max_tokens\": " + (1 + i % 3) + "}");
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        Path output = temp.resolve("out.jsonl");
        // --max-running 2 makes a window of 8 in flight, so most items wait for the window
        Cli run = Cli.run("generate", "--model", LLAMA, "--input", input.toString(), "--prompt-column", "q",
                "--output", output.toString(), "--max-running", "2", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        assertEquals("", run.out());
        List<String> written = Files.readAllLines(output, StandardCharsets.UTF_8);
        assertEquals(count, written.size());
        for (int i = 0; i < count; i++) {
            JsonNode line = Cli.parse(written.get(i));
            assertEquals("prompt number " + i, line.get("q").asText());
            assertEquals(1 + i % 3, line.get("max_tokens").asInt(), "the input's fields come first, as given");
            assertEquals(1 + i % 3, line.get("completion_tokens").asInt());
        }
        // progress counts tokens: 73 in all (max tokens 1, 2, 3, ... each reached); the last line comes once every
        // row is done
        assertTrue(run.err().contains("generate: 100% of 73 tokens (73 generated, 37/37 rows) after "), run.err());
        assertTrue(run.err().contains(" tokens/s, "), run.err());
        assertTrue(run.err().contains("generate: prompts 37, failed 0,"), run.err());
    }

    private static void assertError(JsonNode line, String message) {
        assertEquals("error", line.get("finish_reason").asText(), line.toString());
        assertTrue(line.get("error").asText().startsWith(message), "expected '" + message + "' in " + line);
        assertEquals(0, line.get("completion_tokens").asInt());
        assertEquals(0, line.get("token_ids").size());
    }

    static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    private static int[] prefix(int[] ids, int n) {
        return java.util.Arrays.copyOf(ids, n);
    }
}
