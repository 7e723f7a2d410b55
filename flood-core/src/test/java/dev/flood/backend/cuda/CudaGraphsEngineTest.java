package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.CudaGraphs;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.TokenLogprobs;
import dev.flood.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generation with CUDA graphs against the same engine without them, on the fixture checkpoints and the demo model,
 * one step at a time and with steps in flight (deferred tokens resolved on the device inside the graph): 36 greedy
 * requests finishing after 2 to 38 tokens, so the decode steps shrink from 36 rows to 1.
 *
 * <p>Tolerance: the engines run the same kernels, and {@link CudaGraphsTest} holds decode logits bit for bit equal
 * on equal batches; but requests reach the engine thread while it already schedules, so two runs may group the
 * first steps differently (more so with steps in flight, where a step is scheduled while the one before it runs)
 * and cuBLAS then multiplies other shapes. So, as in {@link CudaPipelineTest}: greedy tokens agree until a near-tie
 * of {@link #NEAR_TIE} nats (engines grouping these fixtures differently parted at gaps up to 0.003 nats on the
 * H200, above the 1e-3 this test asked before), each token's log-probability before that within
 * {@link #LOGPROB_TOLERANCE} (float32 reordering), and at most half the requests may part at all (a wrong token
 * fed, a stale graph argument or a graph run out of order parts nearly every request). How many log-probabilities were bit for bit equal is printed. Both engines must finish every request
 * and give back every cache token.
 *
 * <p>Mixture-of-experts models included: they were refused with graphs on after tiny-qwen3-moe parted in 24 of 36
 * requests at tokens 12 to 14 with 2 steps in flight (H200, 2026-12-03), while {@link CudaGraphsTest} held its
 * decode logits bit for bit equal on equal batches. The cause was graphs shared by a bucket of nearby row counts and
 * updated across cuBLAS kernels, which also parted dense fixtures in CudaPrefixCachingTest ({@link GraphKey}).
 */
@Tag("gpu")
class CudaGraphsEngineTest {

    private static final int REQUESTS = 36;
    private static final double NEAR_TIE = 1e-2;
    private static final double LOGPROB_TOLERANCE = 1e-3;

    /** Every fixture (dense and mixture-of-experts) and the demo model. */
    static Stream<Path> models() {
        return Stream.concat(Fixtures.MODELS.stream().map(Fixtures::model), Stream.of(Fixtures.demoModel()));
    }

    private static List<GenerateRequest> requests() {
        List<String> prompts = Fixtures.cases(Fixtures.MODELS.get(0)).stream().map(Fixtures.Case::prompt).toList();
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            requests.add(GenerateRequest.of(prompts.get(i % prompts.size()), SamplingParams.builder()
                    .maxNewTokens(2 + (i * 7) % 37).ignoreEos().logprobs(2).build()));
        }
        return requests;
    }

    private static List<GenerationResult> generate(EngineConfig config) {
        try (FloodEngine engine = FloodEngine.open(config)) {
            List<GenerationResult> results = engine.generate(requests());
            assertEquals(0, engine.metrics().cache().usedTokens(), "cache tokens still held after every request"
                    + " finished, CUDA graphs " + config.cudaGraphs() + ", " + config.maxStepsInFlight()
                    + " steps in flight");
            return results;
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void graphsGenerateTheSameTokensAndLogprobs(Path model) {
        for (int stepsInFlight : new int[] {1, 0}) {
            EngineConfig.Builder config = EngineConfig.builder(model).backend("cuda").stepsInFlight(stepsInFlight);
            List<GenerationResult> eager = generate(config.cudaGraphs(CudaGraphs.OFF).build());
            List<GenerationResult> graphed = generate(config.cudaGraphs(CudaGraphs.ON).build());
            String what = model.getFileName() + ", steps in flight " + (stepsInFlight == 0
                    ? "default (" + config.build().maxStepsInFlight() + ")" : "1");
            int compared = 0;
            int identical = 0;
            List<String> parted = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String request = what + ", request " + i;
                int partedAt = firstDifference(eager.get(i), graphed.get(i), request);
                if (partedAt >= 0) {
                    TokenLogprobs at = eager.get(i).logprobs().get(partedAt);
                    double gap = at.top().get(0).logprob() - at.top().get(1).logprob();
                    String message = request + ": token " + partedAt + " is "
                            + graphed.get(i).tokenIds().get(partedAt) + ", eager "
                            + eager.get(i).tokenIds().get(partedAt) + " at a top-2 gap of " + gap + " nats";
                    System.out.println(message);
                    assertTrue(gap < NEAR_TIE, message + ", not a near-tie");
                }
                int agreed = partedAt < 0 ? eager.get(i).tokenIds().size() : partedAt;
                for (int step = 0; step < agreed; step++) {
                    double expected = eager.get(i).logprobs().get(step).logprob();
                    double actual = graphed.get(i).logprobs().get(step).logprob();
                    assertTrue(Math.abs(expected - actual) <= LOGPROB_TOLERANCE,
                            request + " token " + step + ": logprob " + actual + ", eager " + expected);
                    compared++;
                    identical += expected == actual ? 1 : 0;
                }
                if (partedAt >= 0) {
                    parted.add("request " + i + " at token " + partedAt);
                }
            }
            System.out.printf("%s: %d of %d token logprobs bit for bit equal with and without graphs; %d of %d"
                    + " requests parted%n", what, identical, compared, parted.size(), REQUESTS);
            assertTrue(compared > REQUESTS, what + ": compared " + compared + " tokens");
            assertTrue(2 * parted.size() <= REQUESTS, what + ": " + parted.size() + " of " + REQUESTS
                    + " requests parted with graphs: " + parted);
        }
    }

    /** The first step where the two runs' tokens differ, or -1; both must have succeeded with as many tokens. */
    private static int firstDifference(GenerationResult eager, GenerationResult graphed, String what) {
        assertFalse(eager.isError(), what + " (eager): " + eager.error());
        assertFalse(graphed.isError(), what + ": " + graphed.error());
        assertEquals(eager.tokenIds().size(), graphed.tokenIds().size(), what + ": number of tokens");
        for (int step = 0; step < eager.tokenIds().size(); step++) {
            if (!eager.tokenIds().get(step).equals(graphed.tokenIds().get(step))) {
                return step;
            }
        }
        return -1;
    }
}
