package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sliding-window scoring against transformers: {@code fixtures/sliding-window-reference.json}, made by
 * {@code tools/sliding_window_reference.py} with transformers 5.17 running the loop of its perplexity guide on the
 * reference checkpoints (a 922-token text; windows of the model's context and of 64 to 200 tokens; strides from
 * 16 to the largest allowed). Tolerance 1e-4 relative on the log-probabilities and the perplexity, as in
 * {@link EngineParityTest}: both sides compute in float32 but sum in different orders.
 *
 * <p>The guide's own perplexity weights each window after the first by one token less than it scores; Flood
 * averages every scored token alike, as the guide's definition of perplexity does. The two are printed side by side.
 */
class SlidingWindowReferenceTest {

    private static final double TOLERANCE = 1e-4;

    static List<JsonNode> cases() throws IOException {
        try (InputStream in = SlidingWindowReferenceTest.class.getResourceAsStream(
                "/fixtures/sliding-window-reference.json")) {
            List<JsonNode> cases = new ArrayList<>();
            new ObjectMapper().readTree(in).get("cases").forEach(cases::add);
            return cases;
        }
    }

    private static double[] doubles(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToDouble(JsonNode::asDouble).toArray();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("cases")
    void windowedScoresMatchTransformers(JsonNode reference) {
        String model = reference.get("model").asText();
        int maxLength = reference.get("max_length").isNull() ? 0 : reference.get("max_length").asInt();
        ScoreOptions options = ScoreOptions.DEFAULTS.withMaxLength(maxLength).withStride(reference.get("stride").asInt());
        int[] expectedIds = StreamSupport.stream(reference.get("input_ids").spliterator(), false)
                .mapToInt(JsonNode::asInt).toArray();
        String where = model + " max_length " + maxLength + " stride " + options.stride();
        try (FloodEngine engine = FloodEngine.open(EngineConfig.builder(Fixtures.model(model)).threads(2)
                .maxBatchTokens(509).build())) {
            ScoreResult result = engine.submitScore(ScoreRequest.of(reference.get("text").asText(), options)).join();
            assertFalse(result.isError(), result.error());
            assertArrayEquals(expectedIds, result.tokenIds().stream().mapToInt(Integer::intValue).toArray(), where);
            assertEquals(reference.get("windows").asInt(), result.windows(), where);
            double[] expected = doubles(reference.get("token_logprobs"));
            double[] actual = result.tokenLogprobs().stream().mapToDouble(Double::doubleValue).toArray();
            assertEquals(expected.length, actual.length, where);
            double error = Fixtures.relativeError(actual, expected);
            double perplexity = reference.get("perplexity").asDouble();
            System.out.printf("%s: %d windows, logprob relative error %.2e, perplexity %.4f (transformers %.4f, "
                    + "the guide's aggregation %.4f)%n", where, result.windows(), error, result.perplexity(),
                    perplexity, reference.get("guide_perplexity").asDouble());
            assertTrue(error < TOLERANCE, where + ": logprob relative error " + error);
            assertEquals(perplexity, result.perplexity(), TOLERANCE * perplexity, where);
            assertEquals(reference.get("mean_nll").asDouble(), result.meanNll(),
                    TOLERANCE * reference.get("mean_nll").asDouble(), where);
        }
    }
}
