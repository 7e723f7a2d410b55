package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.engine.TestEngines;
import dev.flood.testing.Fixtures;
import dev.flood.testing.NearTies;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine survives faults on the GPU that leave the device usable: an exception thrown in a step, and running
 * out of device memory in a step (it reopens with three quarters of the cache). Each time the engine closes its
 * backends, reopens them and recomputes every unfinished request; every request completes once, without error. A
 * sticky fault (an illegal address) cannot be survived in-process: CUDA refuses every later call, even on a reset
 * context; {@link CudaDeviceLostTest} checks, in a JVM of its own, that the engine then fails its requests with
 * that reason instead of hanging or restarting in vain.
 *
 * <p>Tolerance: the recomputed requests rebuild their cache in prefill steps instead of decode steps, so cuBLAS may
 * pick other GEMM algorithms and the prefill attention kernel replaces the decode one; greedy tokens must follow a
 * run without faults until a near-tie of 1e-2 nats (float32 reordering noise, as in {@link CudaPipelineTest}; the
 * H200 parted at gaps of 0.0034 and 0.0044 nats here on 2026-12-03), judged on the penalized scores for the
 * requests with a presence penalty ({@link NearTies#assertSameUntilPenalizedNearTie}).
 */
@Tag("gpu")
class CudaHealingTest {

    private static final double NEAR_TIE = 1e-2;
    private static final double PRESENCE = 0.8;

    static List<GenerateRequest> requests() {
        List<GenerateRequest> requests = new ArrayList<>();
        for (Fixtures.Case c : Fixtures.cases("tiny-qwen3")) {
            requests.add(GenerateRequest.of(c.prompt(), SamplingParams.builder().maxNewTokens(40).ignoreEos()
                    .logprobs(2).build()));
            requests.add(GenerateRequest.of(c.prompt(), SamplingParams.builder().maxNewTokens(24).ignoreEos()
                    .presencePenalty(PRESENCE).logprobs(20).build()));
        }
        return requests;
    }

    @ParameterizedTest(name = "{0} on devices {1}")
    @CsvSource({"EXCEPTION, 0", "EXCEPTION, 0;0", "OUT_OF_MEMORY, 0"})
    void aFaultInAStepIsHealedAndEveryRequestCompletes(FaultyCuda.Fault fault, String devices) {
        List<Integer> ordinals = java.util.Arrays.stream(devices.split(";")).map(Integer::valueOf).toList();
        EngineConfig config = EngineConfig.builder(Fixtures.model("tiny-qwen3")).backend("cuda").devices(ordinals)
                .maxBatchTokens(13).build();
        List<GenerateRequest> requests = requests();
        List<GenerationResult> reference;
        int capacity;
        try (FloodEngine engine = FloodEngine.open(config)) {
            reference = engine.generate(requests);
            capacity = engine.metrics().cache().capacityTokens();
        }
        FaultyCuda backends = new FaultyCuda(fault, 12);
        try (FloodEngine engine = TestEngines.open(config, backends, 3)) {
            List<GenerationResult> results = engine.generate(requests);
            EngineMetrics metrics = engine.metrics();
            System.out.printf("%s on %s: %d restart(s), %d steps%n", fault, ordinals, metrics.engineRestarts(),
                    metrics.steps());
            assertEquals(1, backends.fired.get(), "the fault fired once");
            assertEquals(1, metrics.engineRestarts());
            assertEquals(0, metrics.failedRequests());
            for (int i = 0; i < requests.size(); i++) {
                String what = fault + " request " + i;
                if (i % 2 == 0) {
                    NearTies.assertSameUntilNearTie(reference.get(i), results.get(i), NEAR_TIE, what);
                } else {
                    NearTies.assertSameUntilPenalizedNearTie(reference.get(i), results.get(i), NEAR_TIE, PRESENCE, 0,
                            what);
                }
            }
            assertEquals(0, metrics.cache().usedTokens());
            if (fault == FaultyCuda.Fault.OUT_OF_MEMORY) {
                assertTrue(metrics.cache().capacityTokens() < capacity, "reopened with a smaller cache");
            }
            // the reopened backends serve on
            GenerationResult after = engine.generate(requests.subList(0, 1)).get(0);
            NearTies.assertSameUntilNearTie(reference.get(0), after, NEAR_TIE, fault + " after the restart");
        }
        // and a fresh engine opens on the device afterwards
        try (FloodEngine engine = FloodEngine.open(config)) {
            assertTrue(engine.metrics().cache().capacityTokens() > 0);
        }
    }
}
