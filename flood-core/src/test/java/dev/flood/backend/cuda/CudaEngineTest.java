package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreResult;
import dev.flood.api.TokenLogprobs;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import dev.flood.testing.NearTies;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The whole engine with backend {@code cuda} (chunked prefill through a small step budget, segment cache, decode)
 * against Hugging Face transformers on the reference checkpoints and against the CPU backend.
 *
 * <p>Tolerances: prompt log-probabilities within 1e-2 relative of the reference (bf16 GEMM inputs and cache,
 * see {@link CudaModelTest}). Greedy tokens must equal the float32 CPU engine's (which reproduces transformers
 * exactly) until a near-tie: where they first part, the CPU's top-2 log-probability gap at that step must be
 * under {@link #NEAR_TIE} nats, a few times the bf16 path's logit error; after that the contexts differ. On a
 * mixture-of-experts fixture up to {@link #MOE_PARTED_BEYOND_NEAR_TIE} prompts may part where the logits are not
 * near a tie: the bf16 path moves the router logits (by up to 0.17 on tiny-mixtral) past a router near-tie and
 * sends a token to another expert, which moves its logits far more than bf16 rounding does. The CPU's simulation
 * of the bf16 path does so on tiny-mixtral's second prompt at step 20 (a gap of 0.196 nats; Bf16SimulationTest);
 * a wrong routing, expert GEMM or combine parts nearly every prompt at once.
 */
@Tag("gpu")
class CudaEngineTest {

    static final List<String> MODELS = Fixtures.MODELS;
    private static final double NEAR_TIE = 0.1;
    private static final int MOE_PARTED_BEYOND_NEAR_TIE = 2;
    private static final double BATCH_NEAR_TIE = 1e-2;
    private static final long SEED = System.nanoTime();

    private static EngineConfig.Builder config(String name, String backend) {
        return EngineConfig.builder(Fixtures.model(name)).backend(backend).threads(4).maxBatchTokens(7);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void promptLogprobsMatchTransformers(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        try (FloodEngine engine = FloodEngine.open(config(name, "cuda").build())) {
            List<ScoreResult> results = engine.score(cases.stream().map(Fixtures.Case::prompt).toList());
            for (int i = 0; i < cases.size(); i++) {
                ScoreResult r = results.get(i);
                assertFalse(r.isError(), name + ": " + r);
                double[] logprobs = r.tokenLogprobs().stream().mapToDouble(Double::doubleValue).toArray();
                double error = Fixtures.relativeError(logprobs, cases.get(i).tokenLogprobs());
                System.out.printf("%s case %d: prompt logprob relative error %.2e%n", name, i, error);
                assertTrue(error < 1e-2, name + " '" + cases.get(i).prompt() + "': logprob relative error " + error);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void greedyTokensFollowTheCpuEngineUntilANearTie(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        SamplingParams greedy = SamplingParams.builder().maxNewTokens(24).ignoreEos().logprobs(2).build();
        List<GenerateRequest> requests = cases.stream().map(c -> GenerateRequest.of(c.prompt(), greedy)).toList();
        List<GenerationResult> onCpu;
        try (FloodEngine engine = FloodEngine.open(config(name, "cpu").build())) {
            onCpu = engine.generate(requests);
        }
        ModelConfig model = ModelConfigReader.read(Fixtures.model(name));
        int allowed = Fixtures.mixtureOfExperts(model) ? MOE_PARTED_BEYOND_NEAR_TIE : 0;
        List<String> beyond = new ArrayList<>();
        try (FloodEngine engine = FloodEngine.open(config(name, "cuda").build())) {
            List<GenerationResult> onGpu = engine.generate(requests);
            for (int i = 0; i < cases.size(); i++) {
                assertEquals(cases.get(i).greedy24().length, onCpu.get(i).tokenIds().size());
                String parting = partingBeyondNearTie(onCpu.get(i), onGpu.get(i), NEAR_TIE, name + " case " + i);
                if (parting != null) {
                    beyond.add(parting);
                }
            }
        }
        assertTrue(beyond.size() <= allowed, beyond.size() + " prompts parted beyond a near-tie (at most " + allowed
                + "): " + beyond);
    }

    /**
     * Batch invariance, on every fixture: 24 greedy requests of mixed lengths give the same tokens alone and all
     * together. The row-wise kernels, attention (within a sliding window too) and the grouped expert GEMM compute
     * each request the same whatever the batch; cuBLAS may pick another GEMM algorithm for another number of
     * tokens (the router's logits included), so tokens may part only at a near-tie of {@link #BATCH_NEAR_TIE} nats
     * (float32 reordering noise: engines batching the fixtures differently parted at gaps up to 0.003 nats on the
     * H200, see CudaPipelineTest), and at most half the requests may part at all (a wrong token fed or drawn, or a
     * kernel reading another request's rows, parts nearly every request). Prompts up to 300 tokens run far past
     * tiny-mistral-sw's window of 12.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void greedyTokensDoNotDependOnTheBatch(String name) {
        Random random = new Random(SEED);
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            List<Integer> ids = new ArrayList<>(List.of(0));
            for (int j = random.nextInt(i % 6 == 0 ? 300 : 40); j > 0; j--) {
                ids.add(3 + random.nextInt(1021));
            }
            requests.add(GenerateRequest.ofTokens(ids, SamplingParams.builder().maxNewTokens(4 + random.nextInt(12))
                    .ignoreEos().logprobs(2).build()));
        }
        try (FloodEngine engine = FloodEngine.open(config(name, "cuda").maxBatchTokens(97).build())) {
            List<GenerationResult> together = engine.generate(requests);
            int parted = 0;
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult alone = engine.generate(List.of(requests.get(i))).get(0);
                parted += NearTies.assertSameUntilNearTie(alone, together.get(i), BATCH_NEAR_TIE,
                        name + " request " + i + " (seed " + SEED + ")") >= 0 ? 1 : 0;
            }
            assertTrue(2 * parted <= requests.size(), name + ": " + parted + " of " + requests.size()
                    + " requests parted alone from together (seed " + SEED + ")");
        }
    }

    @Test
    void aCacheLargerThanTheGpuFailsWithWhatWasAskedAndWhatFits() {
        EngineConfig huge = config("tiny-llama", "cuda").cacheTokens(Integer.MAX_VALUE - 1).build();
        FloodException e = assertThrows(FloodException.class, () -> FloodEngine.open(huge).close());
        assertTrue(e.getMessage().startsWith("not enough GPU memory for the KV cache on device 0"), e.getMessage());
        assertTrue(e.getMessage().contains("2147483646 tokens need"), e.getMessage());
        assertTrue(e.getMessage().contains("try a cache of at most"), e.getMessage());
    }

    static void assertSameUntilNearTie(GenerationResult reference, GenerationResult actual, double nearTie,
                                       String what) {
        String parting = partingBeyondNearTie(reference, actual, nearTie, what);
        assertTrue(parting == null, parting);
    }

    /**
     * Where {@code actual}'s tokens first differ from {@code reference}'s when the reference's top-2 gap there is not
     * under {@code nearTie}, as a message; null when they agree, or part at a near-tie.
     */
    static String partingBeyondNearTie(GenerationResult reference, GenerationResult actual, double nearTie,
                                       String what) {
        NearTies.Parting parting = NearTies.parting(reference, actual, what);
        return parting == null || parting.gap() < nearTie ? null : parting.description() + ", not a near-tie";
    }
}
