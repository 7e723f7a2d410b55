package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.engine.FaultyBackends.Fault;
import dev.flood.testing.Fixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The engine heals: when a step fails for a reason that is no request's own, it reopens its pipeline and
 * recomputes every unfinished request from its tokens, so every result is exactly what a run without faults gives
 * (the CPU backend is batch invariant, so neither the recomputation nor a smaller step budget changes a number),
 * no request is lost or completed twice, and no streamed text repeats. Faults come from {@link FaultyBackends},
 * at chosen {@code beginStep} calls; restart windows read a clock the test sets.
 */
class HealingTest {

    private static final int VOCAB = 1024;

    private static EngineConfig.Builder config() {
        return EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(256)
                .maxRunningRequests(128);
    }

    private static Recovery.Policy manyRestarts() {
        return new Recovery.Policy(10_000, Duration.ofHours(1), System::nanoTime);
    }

    /**
     * Short generations of every kind the engine runs: greedy, sampled with the engine's seeds or their own, with
     * log-probabilities, with penalties (no deferred tokens), with stop tokens; prompts of 1 to 12 token ids.
     */
    private static List<GenerateRequest> requests(int count, long seed) {
        Random random = new Random(seed);
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<Integer> ids = new ArrayList<>(List.of(0));
            for (int n = random.nextInt(12); n > 0; n--) {
                ids.add(3 + random.nextInt(VOCAB - 3));
            }
            int maxTokens = 1 + random.nextInt(8);
            SamplingParams.Builder params = SamplingParams.builder().maxNewTokens(maxTokens).ignoreEos();
            switch (i % 5) {
                case 0 -> params.temperature(0);
                case 1 -> params.temperature(0.9).topP(0.9);
                case 2 -> params.temperature(1.1).seed(i).logprobs(2);
                case 3 -> params.temperature(0.7).repetitionPenalty(1.3).seed(i);
                default -> params.temperature(1.0).topK(40).stopTokenIds(List.of(3 + random.nextInt(VOCAB - 3),
                        3 + random.nextInt(VOCAB - 3)));
            }
            requests.add(GenerateRequest.ofTokens(ids, params.build()));
        }
        return requests;
    }

    /** What one request streamed and how often it completed. */
    private static final class Stream implements GenerationListener {
        final StringBuilder text = new StringBuilder();
        final List<Integer> tokens = new ArrayList<>();
        int completions;

        @Override
        public void onTokens(String textDelta, List<Integer> newTokenIds) {
            text.append(textDelta);
            tokens.addAll(newTokenIds);
        }

        @Override
        public void onComplete(GenerationResult result) {
            completions++;
        }
    }

    /** Submits every request at once with a {@link Stream} each; returns the results and checks the streams. */
    private static List<GenerationResult> run(FloodEngine engine, List<GenerateRequest> requests) {
        List<Stream> streams = new ArrayList<>();
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        for (GenerateRequest request : requests) {
            Stream stream = new Stream();
            streams.add(stream);
            futures.add(engine.submit(request, stream));
        }
        List<GenerationResult> results = futures.stream().map(CompletableFuture::join).toList();
        for (int i = 0; i < results.size(); i++) {
            Stream stream = streams.get(i);
            assertEquals(1, stream.completions, "request " + i + " completed once");
            assertEquals(results.get(i).text(), stream.text.toString(), "request " + i + " streamed its text once");
            assertEquals(results.get(i).tokenIds(), stream.tokens, "request " + i + " streamed its tokens once");
        }
        return results;
    }

    private static List<GenerationResult> clean(EngineConfig config, List<GenerateRequest> requests) {
        try (FloodEngine engine = FloodEngine.open(config)) {
            return run(engine, requests);
        }
    }

    private static void assertSameResults(List<GenerationResult> expected, List<GenerationResult> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertFalse(actual.get(i).isError(), "request " + i + ": " + actual.get(i).error());
            assertEquals(expected.get(i), actual.get(i), "request " + i);
        }
    }

    /**
     * {@code count} faults at distinct random {@code beginStep} calls in [from, to): every kind in turn, but out of
     * memory (which halves the step budget each time) only as the 8th and 28th.
     */
    private static Map<Long, Fault> randomFaults(int count, long from, long to, long seed) {
        Random random = new Random(seed);
        Map<Long, Fault> plan = new HashMap<>();
        List<Fault> others = List.of(Fault.BEGIN_STEP, Fault.FORWARD, Fault.OUTPUTS, Fault.AWAIT, Fault.END_STEP,
                Fault.BEGIN_STEP_THEN_OPEN);
        while (plan.size() < count) {
            long step = from + (long) (random.nextDouble() * (to - from));
            int n = plan.size();
            if (!plan.containsKey(step)) {
                plan.put(step, n == 7 || n == 27 ? Fault.OUT_OF_MEMORY : others.get(n % others.size()));
            }
        }
        return plan;
    }

    @Test
    void tenThousandGenerationsWithFaultsAtRandomStepsGiveTheResultsOfACleanRun() {
        List<GenerateRequest> requests = requests(10_000, 42);
        List<GenerationResult> expected = clean(config().build(), requests);
        FaultyBackends backends = new FaultyBackends(randomFaults(40, 5, 700, 7));
        EngineMetrics metrics;
        try (FloodEngine engine = Engine.open(config().build(), backends, manyRestarts())) {
            assertSameResults(expected, run(engine, requests));
            metrics = engine.metrics();
        }
        System.out.printf("10,000 generations: %d faults injected, %d restarts, %d steps%n", backends.injected(),
                metrics.engineRestarts(), metrics.steps());
        assertTrue(backends.injected() >= 20, backends.injected() + " faults fired");
        // a fault in a step that a restart drains (the next one in flight) restarts nothing more
        assertTrue(metrics.engineRestarts() >= backends.injected() / 2 && metrics.engineRestarts() <= backends.injected(),
                metrics.engineRestarts() + " restarts for " + backends.injected() + " faults");
        assertEquals(10_000, metrics.completedRequests());
        assertEquals(0, metrics.failedRequests());
        assertEquals(0, metrics.cache().usedTokens());
    }

    @Test
    void twoStagesHealAlike() {
        List<GenerateRequest> requests = requests(600, 5);
        EngineConfig config = config().stages(2).build();
        List<GenerationResult> expected = clean(config, requests);
        FaultyBackends backends = new FaultyBackends(randomFaults(12, 4, 160, 11));
        try (FloodEngine engine = Engine.open(config, backends, manyRestarts())) {
            assertSameResults(expected, run(engine, requests));
            assertTrue(engine.metrics().engineRestarts() >= 3, engine.metrics().toString());
            assertEquals(2, engine.metrics().stages().size());
        }
    }

    @Test
    void outOfMemoryReopensWithASmallerCacheAndStepBudgetThatStillHoldsTheLargestRequest() {
        // the first request needs 190 slots (it is queued first, so the engine holds it when the fault comes);
        // after running out of memory the cache would be 150, so it stays 190
        List<GenerateRequest> requests = new ArrayList<>(List.of(GenerateRequest.ofTokens(List.of(0, 5, 6, 7, 8, 9,
                10, 11, 12, 13), SamplingParams.builder().maxNewTokens(180).ignoreEos().build())));
        requests.addAll(requests(40, 3));
        EngineConfig config = config().cacheTokens(200).stepsInFlight(1).build();
        List<GenerationResult> expected = clean(config, requests);
        FaultyBackends backends = new FaultyBackends(Map.of(3L, Fault.OUT_OF_MEMORY));
        try (FloodEngine engine = Engine.open(config, backends, manyRestarts())) {
            assertSameResults(expected, run(engine, requests));
            assertEquals(1, engine.metrics().engineRestarts());
            assertEquals(190, engine.metrics().cache().capacityTokens());
            GenerationResult tooLarge = engine.generate(List.of(GenerateRequest.ofTokens(List.of(0, 5),
                    SamplingParams.greedy(195)))).get(0);
            assertEquals("request needs 197 KV cache slots (prompt plus max new tokens) but the cache holds 190; "
                    + "raise cacheTokens or lower max tokens", tooLarge.error());
        }
        List<EngineConfig> opened = backends.opened();
        assertEquals(2, opened.size());
        assertEquals(256, opened.get(0).maxBatchTokens());
        assertEquals(128, opened.get(1).maxBatchTokens());
        assertEquals(190, opened.get(1).cacheTokens());
    }

    @Test
    void tooManyRestartsInAShortTimeFailTheUnfinishedRequestsWithTheCause() {
        List<GenerateRequest> requests = requests(6, 9).stream().map(r -> GenerateRequest.ofTokens(r.promptTokenIds(),
                SamplingParams.greedy(40))).toList();
        // one step at a time, so step calls 3, 4 and 5 are the first steps after each reopening
        EngineConfig config = config().stepsInFlight(1).build();
        FaultyBackends backends = new FaultyBackends(Map.of(3L, Fault.BEGIN_STEP, 4L, Fault.FORWARD, 5L, Fault.AWAIT));
        AtomicLong clock = new AtomicLong();
        try (FloodEngine engine = Engine.open(config, backends, new Recovery.Policy(2, Duration.ofSeconds(60),
                clock::get))) {
            for (GenerationResult result : engine.generate(requests)) {
                assertEquals("the engine gave up after 2 restarts within 60 s: injected AWAIT at step call 5",
                        result.error());
            }
            EngineMetrics metrics = engine.metrics();
            assertEquals(6, metrics.failedRequests());
            // two restarts, then the reopening after giving up, which serves the requests that come next
            assertEquals(3, metrics.engineRestarts());
            assertEquals(clean(config, requests), engine.generate(requests));
        }
    }

    @Test
    void restartsFurtherApartThanTheWindowDoNotAddUp() {
        List<GenerateRequest> requests = requests(30, 13);
        EngineConfig config = config().stepsInFlight(1).build();
        AtomicLong clock = new AtomicLong();
        Map<Long, Fault> plan = Map.of(3L, Fault.BEGIN_STEP, 4L, Fault.END_STEP, 5L, Fault.OUTPUTS, 6L, Fault.FORWARD);
        FaultyBackends backends = new FaultyBackends(plan, () -> clock.addAndGet(Duration.ofSeconds(61).toNanos()));
        try (FloodEngine engine = Engine.open(config, backends, new Recovery.Policy(1, Duration.ofSeconds(60),
                clock::get))) {
            assertSameResults(clean(config, requests), run(engine, requests));
            assertEquals(4, engine.metrics().engineRestarts());
        }
    }

    @Test
    void anEngineThatCannotReopenFailsEveryRequestWithTheReason() {
        List<GenerateRequest> requests = requests(5, 17);
        EngineConfig config = config().stepsInFlight(1).build();
        FaultyBackends backends = new FaultyBackends(Map.of(2L, Fault.BEGIN_STEP));
        try (FloodEngine engine = Engine.open(config, backends, new Recovery.Policy(2, Duration.ofSeconds(60),
                System::nanoTime))) {
            backends.failOpens();
            for (GenerationResult result : engine.generate(requests)) {
                assertEquals("the engine gave up after 2 restarts within 60 s: injected: the backend would not open",
                        result.error());
            }
            backends.healOpens();
            GenerationResult later = engine.generate(requests.subList(0, 1)).get(0);
            assertEquals("the engine could not reopen its pipeline after a fault: injected: the backend would not open",
                    later.error());
            assertEquals(0, engine.metrics().engineRestarts());
            assertEquals(6, engine.metrics().failedRequests());
        }
    }

    @Test
    void aLostDeviceIsNotReopenedAndFailsEveryRequestWithTheReason() {
        // 40 tokens each: no request can finish before the fault at the second step call, whenever it arrives
        List<GenerateRequest> requests = requests(8, 23).stream().map(r -> GenerateRequest.ofTokens(
                r.promptTokenIds(), SamplingParams.greedy(40))).toList();
        EngineConfig config = config().stepsInFlight(1).build();
        FaultyBackends backends = new FaultyBackends(Map.of(2L, Fault.DEVICE_LOST));
        try (FloodEngine engine = Engine.open(config, backends, manyRestarts())) {
            String lost = "the engine's device is lost: injected DEVICE_LOST at step call 2";
            for (GenerationResult result : engine.generate(requests)) {
                assertEquals(lost, result.error());
            }
            assertEquals(1, backends.opened().size(), "no reopening on a lost device");
            assertEquals(lost, engine.generate(requests.subList(0, 1)).get(0).error(), "and none later");
            assertEquals(0, engine.metrics().engineRestarts());
            assertEquals(9, engine.metrics().failedRequests());
        }
    }

    @Test
    void aRowsOwnFailureFailsOnlyItsRequestAndRestartsNothing() {
        List<GenerateRequest> requests = new ArrayList<>(requests(20, 19));
        requests.add(7, GenerateRequest.ofTokens(List.of(0, 44, 45), SamplingParams.builder().maxNewTokens(5)
                .temperature(1).seed(4242).build()));
        EngineConfig config = config().build();
        List<GenerationResult> expected = clean(config, requests);
        FaultyBackends backends = new FaultyBackends(Map.of());
        backends.poisonRowsOfSeed(4242);
        try (FloodEngine engine = Engine.open(config, backends, manyRestarts())) {
            List<GenerationResult> results = run(engine, requests);
            for (int i = 0; i < requests.size(); i++) {
                if (i == 7) {
                    assertTrue(results.get(i).error().startsWith("injected: logits of sample row "),
                            results.get(i).error());
                } else {
                    assertEquals(expected.get(i), results.get(i), "request " + i);
                }
            }
            assertEquals(0, engine.metrics().engineRestarts());
            assertEquals(1, engine.metrics().failedRequests());
        }
    }
}
