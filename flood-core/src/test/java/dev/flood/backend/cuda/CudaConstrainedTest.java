package dev.flood.backend.cuda;

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
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Constrained generation on the CUDA backend, where the masks go to the sampling kernel: tiny-llama (random
 * weights: without its masks it would never write valid JSON) at temperature 1.0, 512 rows per format, steps in
 * flight as configured by default. Every row that finished with stop must be a value of its format; a row cut by
 * max tokens must say so. (Token-for-token agreement with the CPU sampler under masks is CudaSamplingTest's.)
 */
@Tag("gpu")
class CudaConstrainedTest {

    private static final int ROWS = 512;
    private static FloodEngine engine;

    @BeforeAll
    static void open() {
        engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).backend("cuda").threads(4)
                .maxRunningRequests(ROWS).build());
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static List<GenerationResult> generate(ResponseFormat format, int maxTokens, double temperature) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            requests.add(GenerateRequest.of("The quick brown fox " + i, SamplingParams.builder()
                    .temperature(temperature).maxNewTokens(maxTokens).seed(i).build()).withResponseFormat(format));
        }
        return engine.generate(requests);
    }

    private static int check(List<GenerationResult> results, Predicate<String> valid, String what) {
        int stopped = 0;
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            String where = what + " row " + i + ": " + r.text() + " / " + r.error();
            assertTrue(r.finishReason() == FinishReason.STOP || r.finishReason() == FinishReason.LENGTH, where);
            if (r.finishReason() == FinishReason.STOP) {
                stopped++;
                assertNull(r.error(), where);
            }
            // a row that reached max tokens just as its output became complete has no error and a valid text
            if (r.error() == null) {
                assertTrue(valid.test(r.text()), where);
            } else {
                assertEquals(FinishReason.LENGTH, r.finishReason(), where);
                assertTrue(r.error().startsWith("the output reached"), where);
            }
        }
        System.out.printf("%s: %d of %d rows finished%n", what, stopped, results.size());
        return stopped;
    }

    @Test
    void jsonRowsValidate() {
        String schema = JsonSchemaLanguageTest.COMPACT_EVERY_CONSTRUCT;
        SchemaCheck check = new SchemaCheck(schema);
        int stopped = check(generate(ResponseFormat.jsonSchema(schema), 64, 1.0), t -> check.errors(t).isEmpty(), "json");
        assertTrue(stopped > 0, "some rows finish");
    }

    @Test
    void regexAndChoiceRowsMatch() {
        Pattern pattern = Pattern.compile("(yes|no|maybe)(, [a-z]{1,5}){0,2}\\.");
        assertTrue(check(generate(ResponseFormat.regex(pattern.pattern()), 24, 1.0),
                t -> pattern.matcher(t).matches(), "regex") > 0);
        List<String> choices = List.of("positive", "negative", "neutral");
        List<GenerationResult> chosen = generate(ResponseFormat.choice(choices), 8, 0.7);
        check(chosen, choices::contains, "choice");
        assertTrue(chosen.stream().allMatch(r -> r.error() == null), "every choice fits in 8 tokens");
    }
}
