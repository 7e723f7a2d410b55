package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreResult;
import dev.flood.api.StageMetrics;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import dev.flood.testing.NearTies;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The pipeline on the GPU, against one stage running one step at a time: two stages on one GPU (devices [0, 0]:
 * activations cross by device-to-device copies after a cross-stream event wait), and one stage with steps in
 * flight (deferred tokens read on the device, outputs read back asynchronously, penalty rows drawn on the host
 * at collect).
 *
 * <p>Tolerances: the three engines run the same kernels, but split the batch into other micro-batches and steps,
 * so cuBLAS may pick other GEMM algorithms and a prompt chunk may take the decode attention kernel in one engine
 * and the prefill kernel in another: greedy tokens must agree until a near-tie of {@link #NEAR_TIE} nats (float32
 * reordering noise, as in {@link CudaEngineTest}: on the H200 these fixtures parted from transformers at gaps up
 * to 0.008 nats, and the engines here at up to 0.0075), judged on the penalized scores for requests with a
 * presence penalty, and at most half the requests may part at all (a wrong token fed or drawn parts nearly every
 * request). On a mixture-of-experts fixture up to {@link #MOE_PARTED_BEYOND_NEAR_TIE} requests may part beyond a
 * near-tie, as in CudaEngineTest: rounding that moves a router logit past a router near-tie sends a token to another
 * expert, which moves its logits far more than rounding does (on 2026-12-03 tiny-qwen3-moe parted at a penalized
 * gap of 0.047 nats, where the dense fixtures stayed under 0.0075). Prompt log-probabilities within 1e-3 relative
 * (bf16 rounding of values that differ in the last float32 bits).
 */
@Tag("gpu")
class CudaPipelineTest {

    static final List<String> MODELS = Fixtures.MODELS;
    private static final double NEAR_TIE = 1e-2;
    private static final double PRESENCE = 0.8;
    private static final int MOE_PARTED_BEYOND_NEAR_TIE = 2;

    private static EngineConfig.Builder config(String name) {
        return EngineConfig.builder(Fixtures.model(name)).backend("cuda").threads(4).maxBatchTokens(13);
    }

    /**
     * Each prompt greedy with 2 log-probabilities, and greedy with a presence penalty (drawn on the host) with 20,
     * for {@link NearTies#assertSameUntilPenalizedNearTie}: even requests are plain, odd ones penalized.
     */
    private static List<GenerateRequest> requests(List<Fixtures.Case> cases) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (Fixtures.Case c : cases) {
            requests.add(GenerateRequest.of(c.prompt(), SamplingParams.builder().maxNewTokens(24).ignoreEos()
                    .logprobs(2).build()));
            requests.add(GenerateRequest.of(c.prompt(), SamplingParams.builder().maxNewTokens(16).ignoreEos()
                    .presencePenalty(PRESENCE).logprobs(20).build()));
        }
        return requests;
    }

    /** Where request i parted from its reference (null: never), the penalized gap for the odd requests. */
    static NearTies.Parting parting(List<GenerationResult> reference, List<GenerationResult> results, int i,
                                    String what) {
        return i % 2 == 0 ? NearTies.parting(reference.get(i), results.get(i), what)
                : NearTies.penalizedParting(reference.get(i), results.get(i), PRESENCE, 0, what);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void twoStagesOnOneGpuAndOneOverlappedStageFollowOneStepAtATime(String name) {
        List<Fixtures.Case> cases = Fixtures.cases(name);
        List<GenerateRequest> requests = requests(cases);
        List<String> prompts = cases.stream().map(Fixtures.Case::prompt).toList();
        ModelConfig model = ModelConfigReader.read(Fixtures.model(name));
        int allowedBeyond = Fixtures.mixtureOfExperts(model) ? MOE_PARTED_BEYOND_NEAR_TIE : 0;
        List<GenerationResult> reference;
        List<ScoreResult> referenceScores;
        try (FloodEngine engine = FloodEngine.open(config(name).stepsInFlight(1).build())) {
            reference = engine.generate(requests);
            referenceScores = engine.score(prompts);
        }
        for (EngineConfig config : List.of(config(name).build(), config(name).devices(List.of(0, 0)).build())) {
            String what = name + ", " + config.numStages() + " stage(s), " + config.maxStepsInFlight() + " in flight";
            try (FloodEngine engine = FloodEngine.open(config)) {
                List<GenerationResult> results = engine.generate(requests);
                int parted = 0;
                List<String> beyond = new ArrayList<>();
                for (int i = 0; i < requests.size(); i++) {
                    NearTies.Parting parting = parting(reference, results, i, what + " request " + i);
                    parted += parting == null ? 0 : 1;
                    if (parting != null && parting.gap() >= NEAR_TIE) {
                        beyond.add(parting.description());
                    }
                }
                assertTrue(2 * parted <= requests.size(), what + ": " + parted + " of " + requests.size()
                        + " requests parted from the reference");
                assertTrue(beyond.size() <= allowedBeyond, beyond.size()
                        + " requests parted beyond a near-tie (at most " + allowedBeyond + "): " + beyond);
                List<ScoreResult> scores = engine.score(prompts);
                for (int i = 0; i < prompts.size(); i++) {
                    assertFalse(scores.get(i).isError(), what + ": " + scores.get(i).error());
                    double error = Fixtures.relativeError(toArray(scores.get(i).tokenLogprobs()),
                            toArray(referenceScores.get(i).tokenLogprobs()));
                    assertTrue(error < 1e-3, what + " '" + prompts.get(i) + "': prompt logprobs relative error " + error);
                }
                List<StageMetrics> stages = engine.metrics().stages();
                assertEquals(config.numStages(), stages.size());
                for (StageMetrics stage : stages) {
                    System.out.printf("%s: %s%n", what, stage);
                    assertEquals("cuda:0", stage.device());
                    assertTrue(stage.steps() > 0 && stage.busySeconds() > 0 && stage.idleSeconds() >= 0, stage.toString());
                }
                assertEquals(0, engine.metrics().cache().usedTokens());
            }
        }
    }

    private static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
