package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.testing.EngineGate;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The simulated schedule is the engine's: run one step at a time with every request queued at once (an
 * {@link EngineGate} holds the engine while they are queued), the engine counts exactly the steps, prompt tokens
 * and generated tokens the simulation does, with full reservation and with incremental reservation in a cache
 * small enough to preempt.
 */
class ScheduleSimulationTest {

    private static final int MAX_POSITIONS = 512;   // tiny-llama's context

    private static void assertSameSchedule(EngineConfig config, int[] prompts, int[] outputs)
            throws InterruptedException {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < prompts[i]; t++) {
                ids.add(3 + (i * 31 + t * 17) % 1000);
            }
            requests.add(GenerateRequest.ofTokens(ids, SamplingParams.builder().maxNewTokens(outputs[i]).ignoreEos()
                    .build()));
        }
        try (FloodEngine engine = FloodEngine.open(config)) {
            int cacheTokens = engine.metrics().cache().capacityTokens();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            EngineGate.whileHeld(engine, held -> {
                requests.forEach(r -> futures.add(held.submit(r, null)));
                // queued while the engine thread is busy, and counted as waiting
                assertEquals(requests.size(), held.metrics().waitingRequests(), "waiting while held");
            });
            futures.forEach(f -> assertTrue(!f.join().isError(), f.join().error()));
            EngineMetrics metrics = engine.metrics();
            ScheduleSimulation.Totals simulated = ScheduleSimulation.run(engine.config(), MAX_POSITIONS, cacheTokens,
                    prompts, outputs);
            // the held request ran alone first: one step, one prompt token, one generated token
            assertEquals(metrics.steps(), 1 + simulated.steps(), "steps");
            assertEquals(metrics.promptTokens(), 1 + simulated.promptTokens(), "prompt tokens, recomputed included");
            assertEquals(metrics.generatedTokens(), 1 + simulated.sampledRows(), "generated tokens");
            assertEquals(prompts.length, simulated.requests());
            System.out.printf("%d steps, %d preemptions%n", simulated.steps(), metrics.preemptions());
        }
    }

    /** Without prefix caching, which the simulation does not model (a preempted request rereads its prefix). */
    private static EngineConfig.Builder tinyLlama() {
        return EngineConfig.builder(Fixtures.model("tiny-llama")).prefixCaching(EngineConfig.PrefixCaching.OFF);
    }

    private static int[] lengths(int count, int from, int to, long seed) {
        Random random = new Random(seed);
        int[] lengths = new int[count];
        for (int i = 0; i < count; i++) {
            lengths[i] = from + random.nextInt(to - from + 1);
        }
        return lengths;
    }

    @Test
    void fullReservation() throws InterruptedException {
        EngineConfig config = tinyLlama().threads(2).stepsInFlight(1)
                .maxBatchTokens(48).maxRunningRequests(7).build();
        assertSameSchedule(config, lengths(30, 1, 120, 1), lengths(30, 1, 20, 2));
    }

    @Test
    void incrementalReservationInACacheThatPreempts() throws InterruptedException {
        EngineConfig config = tinyLlama().threads(2).stepsInFlight(1)
                .maxBatchTokens(64).cacheTokens(300).reservation(EngineConfig.CacheReservation.INCREMENTAL).build();
        assertSameSchedule(config, lengths(20, 20, 120, 3), lengths(20, 10, 60, 4));
    }

    @Test
    void requestsTheEngineWouldRejectAreLeftOut() {
        EngineConfig config = tinyLlama().maxBatchTokens(64)
                .maxRunningRequests(8).build();
        ScheduleSimulation.Totals totals = ScheduleSimulation.run(config, MAX_POSITIONS, 100,
                new int[] {10, 95, 512, 600}, new int[] {5, 10, 1, 1});
        assertEquals(1, totals.requests(), "95 + 10 exceeds the cache; 512 and 600 leave no room in the context");
        assertEquals(5, totals.sampledRows());
        assertEquals(5, totals.steps(), "the prompt in one step, then four decodes");
        assertEquals(10, totals.promptTokens());
        assertEquals(14, totals.fedTokens());
        assertEquals(55 + 11 + 12 + 13 + 14, totals.attendedPositions());
    }
}
