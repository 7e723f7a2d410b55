package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.testing.EngineGate;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 64 requests of mixed lengths, greedy and seeded sampling, give exactly the tokens each gives alone on an engine
 * running one step at a time: submitted together, submitted from several threads, and squeezed through a small
 * cache with incremental reservation (so requests are preempted and recomputed); on one stage with steps in
 * flight (the default), and on pipelines of 2 and 3 stages. On tiny-qwen3 here; subclasses run the same on other
 * architectures ({@link #model()}, {@link #stages()}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchInvarianceTest {

    private static final long SEED = System.nanoTime();
    private List<GenerateRequest> requests;
    private List<List<Integer>> alone;

    /** The reference checkpoint the requests run on. */
    String model() {
        return "tiny-qwen3";
    }

    @BeforeAll
    void runEachAlone() {
        Random random = new Random(SEED);
        requests = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            // every eighth prompt is long: chunked over several steps, it must grow its cache as it goes
            int length = i % 8 == 0 ? 150 + random.nextInt(150) : 1 + random.nextInt(60);
            List<Integer> ids = new ArrayList<>();
            ids.add(0);
            for (int j = 1; j < length; j++) {
                ids.add(3 + random.nextInt(1021));
            }
            SamplingParams.Builder params = SamplingParams.builder().maxNewTokens(4 + random.nextInt(13)).ignoreEos();
            if (i % 2 == 1) {
                params.temperature(0.7 + random.nextDouble()).topP(0.9).topK(50).seed(random.nextLong());
            }
            requests.add(GenerateRequest.ofTokens(ids, params.build()));
        }
        try (FloodEngine engine = FloodEngine.open(config().stepsInFlight(1).build())) {
            alone = new ArrayList<>();
            for (GenerateRequest request : requests) {
                alone.add(engine.generate(List.of(request)).get(0).tokenIds());
            }
        }
    }

    private EngineConfig.Builder config() {
        return EngineConfig.builder(Fixtures.model(model())).threads(2);
    }

    /** Stages of the engines under test (tiny-qwen3 has 3 layers); steps in flight: stages + 1. */
    List<Integer> stages() {
        return List.of(1, 2, 3);
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @MethodSource("stages")
    void togetherInOneBatch(int stages) throws InterruptedException {
        try (FloodEngine engine = FloodEngine.open(config().stages(stages).maxBatchTokens(97).build())) {
            check(submitWhileHeld(engine), "one batch");
            // the running requests are shared among the stages + 1 micro-batches in flight
            double meanBatch = engine.metrics().meanRunningBatch();
            assertTrue(meanBatch > 16.0 / (stages + 1), "mean batch " + meanBatch);
        }
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @MethodSource("stages")
    void fromSeveralThreads(int stages) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (FloodEngine engine = FloodEngine.open(config().stages(stages).maxBatchTokens(131).build())) {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (GenerateRequest request : requests) {
                futures.add(callers.submit(() -> engine.submit(request, GenerationListener.NONE).join()));
            }
            List<GenerationResult> results = new ArrayList<>();
            for (Future<GenerationResult> f : futures) {
                results.add(f.get());
            }
            check(results, "several threads");
        } finally {
            callers.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @MethodSource("stages")
    void throughPreemptionInASmallCache(int stages) throws InterruptedException {
        // 330 slots: just above the largest request (299 prompt + 16 new + none spare), far below what 64 need
        EngineConfig small = config().stages(stages).maxBatchTokens(61).cacheTokens(330)
                .reservation(CacheReservation.INCREMENTAL).build();
        try (FloodEngine engine = FloodEngine.open(small)) {
            check(submitWhileHeld(engine), "small cache");
            assertTrue(engine.metrics().preemptions() > 0, "the small cache should force preemptions");
            assertEquals(0, engine.metrics().cache().usedTokens(), "cache freed at the end");
        }
    }

    /**
     * The results of every request, all queued while the engine thread is held: the engine takes them at once, so
     * what the steps hold does not depend on how fast this thread submits.
     */
    private List<GenerationResult> submitWhileHeld(FloodEngine engine) throws InterruptedException {
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        EngineGate.whileHeld(engine, held -> requests.forEach(r -> futures.add(held.submit(r,
                GenerationListener.NONE))));
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private void check(List<GenerationResult> results, String how) {
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult r = results.get(i);
            assertFalse(r.isError(), how + " request " + i + ": " + r.error());
            assertEquals(alone.get(i), r.tokenIds(), model() + ", " + how + ": request " + i
                    + " differs from alone (seed " + SEED + ")");
        }
    }
}
