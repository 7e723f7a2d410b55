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
 * independent schema validator), every row cut by max tokens must say so in its error and keep its raw text,
 * and most rows must finish (the masks, not luck, make the output well formed).
 *
 * <p>Cost on CI's CPU backend: max tokens are chosen so that a JSON row of the schema (about 40-90 tokens) mostly
 * fits and the whole class stays within a few minutes on 2 cores.
 */
class ConstrainedGenerationTest {

    private static final Path DEMO = Path.of("..", "models", "flood-demo");
    private static final int ROWS = 1000;
    private static final List<String> PROMPTS = List.of("Describe a person as JSON: ", "The record reads ",
            "Fellow-Citizens of the Senate and House of Representatives: ", "Call me Ishmael. ");
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

    /** Checks every row; returns how many finished with stop. */
    private static int check(List<GenerationResult> results, Predicate<String> valid, String what) {
        int stopped = 0;
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            String where = what + " row " + i + ": " + r.text() + " / " + r.error();
            if (r.finishReason() == FinishReason.STOP) {
                stopped++;
                assertNull(r.error(), where);
                assertTrue(valid.test(r.text()), where);
            } else {
                assertEquals(FinishReason.LENGTH, r.finishReason(), where);
                assertTrue(r.error().startsWith("the output reached " + r.completionTokens() + " tokens"), where);
                assertTrue(!r.text().isEmpty() && !r.isUsable(), where);
            }
        }
        return stopped;
    }

    @Test
    void everyFinishedJsonRowValidatesAgainstItsSchema() {
        String schema = dev.flood.structured.JsonSchemaLanguageTest.EVERY_CONSTRUCT;
        SchemaCheck check = new SchemaCheck(schema);
        List<GenerationResult> results = generate(ResponseFormat.jsonSchema(schema), 160);
        int stopped = check(results, text -> check.errors(text).isEmpty(), "json");
        assertTrue(stopped > ROWS / 2, stopped + " of " + ROWS + " rows finished");
    }

    @Test
    void everyFinishedRegexRowMatches() {
        Pattern pattern = Pattern.compile("(yes|no|maybe)(, [a-z]{1,8}){0,3}\\.");
        List<GenerationResult> results = generate(ResponseFormat.regex(pattern.pattern()), 24);
        int stopped = check(results, text -> pattern.matcher(text).matches(), "regex");
        assertTrue(stopped > ROWS * 9 / 10, stopped + " of " + ROWS + " rows finished");
    }

    @Test
    void everyChoiceRowIsOneOfTheChoices() {
        List<String> choices = List.of("positive", "negative", "neutral", "mixed feelings");
        List<GenerationResult> results = generate(ResponseFormat.choice(choices), 12);
        assertEquals(ROWS, check(results, choices::contains, "choice"));
        assertTrue(results.stream().map(GenerationResult::text).distinct().count() > 1, "temperature 1 varies the choice");
    }
}
