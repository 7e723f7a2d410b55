package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import dev.flood.structured.JsonSchemaLanguageTest;
import dev.flood.structured.SchemaCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Constrained generation end to end with the demo model (which has never seen JSON) at temperature 1.0 over 1,000
 * rows per format: every row that finished with {@code stop} must be a value of its format (JSON checked by an
 * independent schema validator), every row cut by max tokens must say so in its error and keep its raw text, and
 * rows must finish (the masks, not luck, make the output well formed).
 *
 * <p>Cost on CI's CPU backend, about 5 ms of CPU per generated token of the demo model: the schema uses every
 * construct the engine supports in few characters (one-letter names; the demo tokenizer spends about a token per
 * JSON character), prompts are a few tokens, and max tokens are 40 (JSON), 16 (regex) and 16 (choice). JSON: the
 * shortest valid value is about 20 tokens and the model likes optional properties and long numbers, so most rows
 * are cut; 27 of the 1,000 closed their object (and stopped) within 40 tokens when measured, from about 45,000
 * prompt and generated tokens. Seeds are fixed per row and the CPU backend is batch-invariant, so the counts
 * printed are stable; the thresholds leave a margin below them.
 */
class ConstrainedGenerationTest {

    private static final Path DEMO = Path.of("..", "models", "flood-demo");
    private static final int ROWS = 1000;
    private static final List<String> PROMPTS = List.of("JSON:", "Data:", "Answer:", "Record:");
    private static FloodEngine engine;

    @BeforeAll
    static void open() {
        engine = FloodEngine.open(EngineConfig.builder(DEMO).threads(2).maxRunningRequests(ROWS).build());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static List<GenerationResult> generate(ResponseFormat format, int maxTokens) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            requests.add(GenerateRequest.of(PROMPTS.get(i % PROMPTS.size()), SamplingParams.builder().temperature(1.0)
                    .maxNewTokens(maxTokens).seed(i).build()).withResponseFormat(format));
        }
        return engine.generate(requests);
    }

    /**
     * Checks every row: a row that stopped, or reached max tokens exactly as its output became complete, has no
     * error and a valid text; any other row was cut by max tokens, says so and keeps its text. Returns how many rows
     * finished with stop, and prints the counts (the class comment's cost figures come from them).
     */
    private static int check(List<GenerationResult> results, Predicate<String> valid, String what) {
        int stopped = 0;
        long tokens = 0;
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            String where = what + " row " + i + ": " + r.text() + " / " + r.error();
            tokens += r.completionTokens() + r.promptTokens();
            assertTrue(r.finishReason() == FinishReason.STOP || r.finishReason() == FinishReason.LENGTH, where);
            if (r.finishReason() == FinishReason.STOP) {
                stopped++;
                assertNull(r.error(), where);
            }
            if (r.error() == null) {
                assertTrue(valid.test(r.text()), where);
            } else {
                assertEquals(FinishReason.LENGTH, r.finishReason(), where);
                assertTrue(r.error().startsWith("the output reached " + r.completionTokens() + " tokens"), where);
                assertTrue(!r.text().isEmpty() && !r.isUsable(), where);
            }
        }
        System.out.printf("%s: %d of %d rows stopped; %d prompt and generated tokens%n", what, stopped,
                results.size(), tokens);
        return stopped;
    }

    @Test
    void everyFinishedJsonRowValidatesAgainstItsSchema() {
        SchemaCheck check = new SchemaCheck(JsonSchemaLanguageTest.COMPACT_EVERY_CONSTRUCT);
        List<GenerationResult> results =
                generate(ResponseFormat.jsonSchema(JsonSchemaLanguageTest.COMPACT_EVERY_CONSTRUCT), 40);
        int stopped = check(results, text -> check.errors(text).isEmpty(), "json");
        assertTrue(stopped >= 20, stopped + " of " + ROWS + " rows finished");
    }

    @Test
    void everyFinishedRegexRowMatches() {
        Pattern pattern = Pattern.compile("(yes|no|maybe)(, [a-z]{1,5}){0,2}\\.");
        List<GenerationResult> results = generate(ResponseFormat.regex(pattern.pattern()), 16);
        int stopped = check(results, text -> pattern.matcher(text).matches(), "regex");
        assertTrue(stopped > ROWS / 2, stopped + " of " + ROWS + " rows finished");
    }

    @Test
    void everyChoiceRowIsOneOfTheChoices() {
        List<String> choices = List.of("positive", "negative", "neutral", "mixed feelings");
        List<GenerationResult> results = generate(ResponseFormat.choice(choices), 16);
        check(results, choices::contains, "choice");
        assertTrue(results.stream().allMatch(r -> r.error() == null), "every choice fits in 16 tokens");
        assertTrue(results.stream().map(GenerationResult::text).distinct().count() > 1, "temperature 1 varies the choice");
    }
}
