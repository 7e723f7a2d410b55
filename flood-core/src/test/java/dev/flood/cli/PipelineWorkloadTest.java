package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.StageMetrics;
import dev.flood.testing.NearTies;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Workload W's first 64 prompts on the Llama 3.1 8B shape with dummy weights, 32 greedy tokens each: one stage
 * with steps in flight (the default) and two stages on one GPU (devices [0, 0]) against one stage running one step
 * at a time. Tokens must agree until a near-tie (other micro-batches, other GEMM shapes; see
 * {@code CudaPipelineTest}). The near-tie here is 0.1 nats, wider than on the 3-layer fixtures: float32
 * reordering noise that flips a bf16 rounding grows over 32 layers, and random weights give flat distributions
 * (on the H200, 11 prompts of 64 parted on 2026-12-02 and 77 of 128 on 2026-12-03, every one at a gap under
 * 0.061). How many part depends on which near-ties the run meets, so the test does not bound it: it checks each
 * parting instead, where the token drawn must be one of the reference's five best within the near-tie of its
 * best (rounding reorders close candidates; a wrong token fed or drawn gives one from anywhere in a 128,256-token
 * vocabulary). Prints each engine's wall time and idle share, and how many requests parted. Selected by class on
 * the GPU machine (it loads the 8B shape three times).
 */
@Tag("gpu")
class PipelineWorkloadTest {

    private static final int PROMPTS = 64;
    private static final int OUTPUT_TOKENS = 32;
    private static final double NEAR_TIE = 1e-1;

    private static Path shape() {
        try {
            return Path.of(PipelineWorkloadTest.class.getResource("/shapes/llama-3.1-8b").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void twoStagesAndStepsInFlightFollowOneStepAtATimeOnW() {
        EngineConfig.Builder base = EngineConfig.builder(shape()).backend("cuda")
                .loadFormat(EngineConfig.LoadFormat.DUMMY).maxBatchTokens(8192).maxRunningRequests(256);
        List<GenerationResult> reference = run(base.stepsInFlight(1).build(), "1 stage, 1 step in flight");
        int parted = 0;
        for (EngineConfig config : List.of(base.stepsInFlight(0).build(),
                base.stepsInFlight(0).devices(List.of(0, 0)).build())) {
            String what = config.numStages() + " stage(s), " + config.maxStepsInFlight() + " in flight";
            List<GenerationResult> results = run(config, what);
            for (int i = 0; i < PROMPTS; i++) {
                parted += NearTies.assertSameUntilSwapAtNearTie(reference.get(i), results.get(i), NEAR_TIE,
                        what + " prompt " + i) >= 0 ? 1 : 0;
            }
        }
        System.out.printf("requests that parted at a near-tie: %d of %d%n", parted, 2 * PROMPTS);
    }

    private static List<GenerationResult> run(EngineConfig config, String what) {
        SamplingParams params = SamplingParams.builder().maxNewTokens(OUTPUT_TOKENS).ignoreEos().logprobs(5).build();
        try (FloodEngine engine = FloodEngine.open(config)) {
            int vocab = engine.modelConfig().vocabSize();
            List<GenerateRequest> requests = new ArrayList<>();
            for (int i = 0; i < PROMPTS; i++) {
                requests.add(GenerateRequest.ofTokens(Workload.promptTokens(i, Workload.w().inputLengths().get(i), vocab),
                        params));
            }
            long start = System.nanoTime();
            List<GenerationResult> results = engine.generate(requests);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s: %.2f s for %d prompts x %d tokens%n", what, seconds, PROMPTS, OUTPUT_TOKENS);
            for (StageMetrics stage : engine.metrics().stages()) {
                System.out.printf("  stage %d (%s, layers %d-%d): %d steps, idle %.1f%% of step time%n", stage.stage(),
                        stage.device(), stage.firstLayer(), stage.endLayer() - 1, stage.steps(), 100 * stage.idleShare());
            }
            assertEquals(PROMPTS, results.size());
            return results;
        }
    }
}
