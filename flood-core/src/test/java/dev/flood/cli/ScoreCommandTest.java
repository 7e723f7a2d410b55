package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.EngineConfig;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * {@code flood score} in-process on the fixture checkpoints. Tolerance against transformers: 1e-4 relative for the
 * log-probabilities (‖a−b‖/‖b‖) and the perplexity, as in the engine's own parity test: both sides compute in
 * float32 but sum in different orders. The JSON numbers themselves are written with full double precision.
 */
class ScoreCommandTest {

    static final List<String> MODELS = Fixtures.MODELS;
    static final String LLAMA = Fixtures.model("tiny-llama").toString();

    @TempDir
    Path temp;

    @ParameterizedTest
    @FieldSource("MODELS")
    void jsonReproducesTransformersLogprobsAndPerplexity(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        List<String> args = new ArrayList<>(List.of("score", "--model", Fixtures.model(name).toString(), "--json",
                "--threads", "2", "--max-batch-tokens", "13"));
        for (Fixtures.Case c : cases) {
            args.add("--text");
            args.add(c.prompt());
        }
        Cli run = Cli.run(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(cases.size(), lines.size());
        for (int i = 0; i < cases.size(); i++) {
            Fixtures.Case c = cases.get(i);
            JsonNode line = lines.get(i);
            assertEquals(c.prompt(), line.get("text").asText());
            assertEquals(c.inputIds().length, line.get("tokens").asInt());
            assertArrayEquals(c.inputIds(), GenerateCommandTest.ints(line.get("token_ids")));
            double[] logprobs = StreamSupport.stream(line.get("token_logprobs").spliterator(), false)
                    .mapToDouble(JsonNode::asDouble).toArray();
            assertEquals(c.tokenLogprobs().length, logprobs.length);
            double error = Fixtures.relativeError(logprobs, c.tokenLogprobs());
            assertTrue(error < 1e-4, name + " '" + c.prompt() + "': logprob relative error " + error);
            assertEquals(c.perplexity(), line.get("perplexity").asDouble(), 1e-4 * c.perplexity(), name + " perplexity");
            assertEquals(c.meanNll(), line.get("mean_nll").asDouble(), 1e-4 * c.meanNll(), name + " mean NLL");
            assertFalse(line.has("error"), line.toString());
        }
        assertTrue(run.err().contains("score: texts " + cases.size() + ", failed 0, tokens "
                + cases.stream().mapToInt(c -> c.inputIds().length).sum() + ","), run.err());
    }

    @Test
    void badLinesAndOneTokenTextsGetErrorsOrNullStatistics() throws IOException {
        Path input = temp.resolve("texts.jsonl");
        Files.write(input, List.of(
                "{\"text\": \"Hello\"}",
                "{\"text\": null}",
                "{\"text\": \"\"}",
                "{\"text\": \"" + "word ".repeat(600) + "\"}",
                "{\"body\": \"Hello\"}"), StandardCharsets.UTF_8);
        Cli run = Cli.run("score", "--model", LLAMA, "--input", input.toString(), "--json", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals(5, lines.size());
        assertEquals(Fixtures.cases("tiny-llama").get(3).perplexity(), lines.get(0).get("perplexity").asDouble(),
                1e-4 * Fixtures.cases("tiny-llama").get(3).perplexity());
        assertEquals("line 2: 'text' is null", lines.get(1).get("error").asText());
        // the empty text has nothing to predict: an error for its row, not a null perplexity
        JsonNode empty = lines.get(2);
        assertEquals("line 3: empty text: nothing to score", empty.get("error").asText());
        assertEquals("", empty.get("text").asText());
        assertTrue(empty.get("perplexity").isNull() && empty.get("mean_nll").isNull(), empty.toString());
        JsonNode longText = lines.get(3);
        assertFalse(longText.has("error"), longText.toString());
        assertTrue(longText.get("tokens").asInt() > 512, longText.toString());
        assertEquals(longText.get("tokens").asInt() - 1, longText.get("token_logprobs").size());
        assertTrue(longText.get("windows").asInt() > 1, "past the context of 512 tokens: sliding windows");
        assertEquals(1, lines.get(0).get("windows").asInt());
        assertEquals("line 5: no 'text' field", lines.get(4).get("error").asText());
    }

    /** A model that adds no BOS scores a one-token text with no prediction at all: an error, not a null. */
    @Test
    void aTextOfOneTokenIsAnErrorForItsRow() throws IOException {
        Path model = temp.resolve("no-bos");
        Files.createDirectories(model);
        Path llama = Fixtures.model("tiny-llama");
        for (String file : List.of("config.json", "model.safetensors")) {
            Files.copy(llama.resolve(file), model.resolve(file));
        }
        ObjectNode tokenizer = (ObjectNode) Cli.JSON.readTree(llama.resolve("tokenizer.json").toFile());
        tokenizer.putNull("post_processor");
        Cli.JSON.writeValue(model.resolve("tokenizer.json").toFile(), tokenizer);
        Cli run = Cli.run("score", "--model", model.toString(), "--text", "a", "--text", "Hello", "--json",
                "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        List<JsonNode> lines = run.jsonLines();
        assertEquals("--text 1: the text is one token: scoring needs two or more (the first is not predicted)",
                lines.get(0).get("error").asText());
        assertTrue(lines.get(0).get("perplexity").isNull(), lines.get(0).toString());
        assertFalse(lines.get(1).has("error"), lines.get(1).toString());
        assertTrue(run.err().contains("score: texts 2, failed 1, tokens " + lines.get(1).get("tokens").asInt() + ","),
                "only the tokens of rows that ran count: " + run.err());
    }

    @Test
    void windowOptionsReachTheEngine() {
        String text = "The quick brown fox jumps over the lazy dog. ".repeat(3);
        Cli windowed = Cli.run("score", "--model", LLAMA, "--text", text, "--json", "--threads", "2",
                "--max-length", "16", "--stride", "5");
        assertEquals(0, windowed.exitCode(), windowed.describe());
        JsonNode line = windowed.jsonLines().get(0);
        int tokens = line.get("tokens").asInt();
        // windows start at 0, 5, 10, ...; the last is the first to reach the end
        assertEquals(Math.max(1, (tokens - 16 + 4) / 5 + 1), line.get("windows").asInt(), line.toString());
        assertEquals(tokens - 1, line.get("token_logprobs").size());
        Cli plain = Cli.run("score", "--model", LLAMA, "--text", text, "--threads", "2", "--max-length", "16");
        assertTrue(plain.out().contains("  windows "), plain.out());

        Cli rejected = Cli.run("score", "--model", LLAMA, "--text", text, "--json", "--threads", "2",
                "--max-length", "16", "--no-sliding-window");
        assertEquals(1, rejected.exitCode(), "its only row failed: " + rejected.describe());
        JsonNode error = rejected.jsonLines().get(0);
        assertEquals("--text 1: text has " + tokens + " tokens but max_length is 16 tokens (sliding windows are off)",
                error.get("error").asText());
        assertEquals(0, error.get("windows").asInt());
    }

    @ParameterizedTest
    @CsvSource({"S, 3, 533", "S-long, 1, 8192"})
    void workloadReportsTokensPerSecond(String workload, int texts, int tokens) {
        Cli run = Cli.run("score", "--model", LLAMA, "--workload", workload, "--texts", String.valueOf(texts),
                "--json", "--threads", "2", "--max-batch-tokens", "512");
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode report = run.jsonLines().get(0);
        assertEquals(workload, report.get("workload").asText());
        assertEquals(texts, report.get("texts").asInt());
        assertEquals(0, report.get("failed").asInt());
        assertEquals(0, report.get("engine_restarts").asLong(), "no step failed");
        assertEquals(tokens, report.get("text_tokens").asLong());
        assertEquals(tokens - texts, report.get("scored_tokens").asLong());
        assertTrue(report.get("tokens_per_second").asDouble() > 0, report.toString());
        // S-long's documents are past the fixture's context of 512 tokens: 31 windows of 512 every 256 tokens
        assertEquals(workload.equals("S") ? texts : 31, report.get("windows").asLong(), report.toString());
    }

    @Test
    void workloadReportsTheStepLimitsTheEngineChose() {
        Cli run = Cli.run("score", "--model", LLAMA, "--workload", "S", "--texts", "1", "--json", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        JsonNode report = run.jsonLines().get(0);
        // not given, so automatic (0 in the command line's config): the report shows what the engine resolved
        assertEquals(EngineConfig.CPU_MAX_BATCH_TOKENS, report.get("max_batch_tokens").asInt(), report.toString());
        assertEquals(EngineConfig.CPU_MAX_RUNNING_REQUESTS, report.get("max_running").asInt(), report.toString());
    }

    @Test
    void plainOutputIsOneReadableLinePerText() {
        Fixtures.Case hello = Fixtures.cases("tiny-llama").get(3);
        Cli run = Cli.run("score", "--model", LLAMA, "--text", hello.prompt(), "--text", "a\nb", "--threads", "2");
        assertEquals(0, run.exitCode(), run.describe());
        String[] lines = run.out().split("\n");
        assertEquals(2, lines.length, run.out());
        Matcher m = Pattern
                .compile("perplexity +([0-9.]+)  mean_nll +([0-9.]+)  tokens +([0-9]+)  \\| Hello").matcher(lines[0]);
        assertTrue(m.matches(), lines[0]);
        // 1e-4 relative as above, plus half a unit of the printed last digit
        assertEquals(hello.perplexity(), Double.parseDouble(m.group(1)), 1e-4 * hello.perplexity() + 0.5e-4);
        assertEquals(hello.meanNll(), Double.parseDouble(m.group(2)), 1e-4 * hello.meanNll() + 0.5e-5);
        assertEquals(hello.inputIds().length, Integer.parseInt(m.group(3)));
        assertTrue(lines[0].endsWith("| Hello"), lines[0]);
        assertTrue(lines[1].endsWith("| a\\nb"), "newlines are escaped to keep one line per text: " + lines[1]);
    }
}
