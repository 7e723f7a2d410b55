package dev.flood.backend.cuda;

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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sliding-window scoring on the CUDA engine against transformers ({@code fixtures/sliding-window-reference.json},
 * see {@code SlidingWindowReferenceTest} for the CPU engine): a 922-token text in 2 to 55 windows, each step
 * mixing windows of several texts' worth of rows, scored through the chunked lm_head op as the last stage's
 * asynchronous outputs: one step at a time, with steps in flight (the default), and in two stages on GPU 0.
 * Tolerance 1e-2 relative on the log-probabilities and the perplexity, as in {@link CudaEngineTest} (bf16 GEMM
 * inputs and cache).
 */
@Tag("gpu")
class CudaScoringTest {

    /** Each reference case on each engine: one step at a time, steps in flight, two stages on GPU 0. */
    static List<Arguments> cases() throws IOException {
        try (InputStream in = CudaScoringTest.class.getResourceAsStream("/fixtures/sliding-window-reference.json")) {
            List<Arguments> cases = new ArrayList<>();
            for (JsonNode reference : new ObjectMapper().readTree(in).get("cases")) {
                cases.add(Arguments.of(reference, "one step at a time", 1, List.of(0)));
                cases.add(Arguments.of(reference, "steps in flight", 0, List.of(0)));
                cases.add(Arguments.of(reference, "2 stages on GPU 0", 0, List.of(0, 0)));
            }
            return cases;
        }
    }

    @ParameterizedTest(name = "{index}: {1}")
    @MethodSource("cases")
    void windowedScoresMatchTransformers(JsonNode reference, String engineName, int stepsInFlight,
                                         List<Integer> devices) {
        String model = reference.get("model").asText();
        int maxLength = reference.get("max_length").isNull() ? 0 : reference.get("max_length").asInt();
        ScoreOptions options = ScoreOptions.DEFAULTS.withMaxLength(maxLength).withStride(reference.get("stride").asInt());
        String where = model + " max_length " + maxLength + " stride " + options.stride() + ", " + engineName;
        EngineConfig config = EngineConfig.builder(Fixtures.model(model)).backend("cuda").devices(devices)
                .stepsInFlight(stepsInFlight).maxBatchTokens(509).build();
        try (FloodEngine engine = FloodEngine.open(config)) {
            ScoreResult result = engine.submitScore(ScoreRequest.of(reference.get("text").asText(), options)).join();
            assertFalse(result.isError(), result.error());
            assertEquals(reference.get("windows").asInt(), result.windows(), where);
            double[] expected = StreamSupport.stream(reference.get("token_logprobs").spliterator(), false)
                    .mapToDouble(JsonNode::asDouble).toArray();
            double[] actual = result.tokenLogprobs().stream().mapToDouble(Double::doubleValue).toArray();
            assertEquals(expected.length, actual.length, where);
            double error = Fixtures.relativeError(actual, expected);
            double perplexity = reference.get("perplexity").asDouble();
            System.out.printf("%s on cuda: %d windows, logprob relative error %.2e, perplexity %.4f (transformers"
                    + " %.4f)%n", where, result.windows(), error, result.perplexity(), perplexity);
            assertTrue(error < 1e-2, where + ": logprob relative error " + error);
            assertEquals(perplexity, result.perplexity(), 1e-2 * perplexity, where);
        }
    }
}
