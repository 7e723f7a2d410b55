package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationHandle;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.testing.EngineGate;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Cancelled requests leave the batch at the engine's next step, free their cache, and end as {@code cancelled}
 * with what they had. Nothing here races the engine: cancels are issued on the engine's thread from a listener at
 * a known token, or while an {@link EngineGate} holds that thread, so the steps counted after a cancel do not
 * depend on how fast the machine is (only steps already in flight may still run).
 */
class CancellationTest {

    static final List<Integer> STAGES = List.of(1, 2, 3);

    private static final String PROMPT = Fixtures.cases("tiny-llama").get(0).prompt();

    private static EngineConfig.Builder config() {
        return EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(32);
    }

    private static SamplingParams sampled(int seed) {
        return SamplingParams.builder().maxNewTokens(120).ignoreEos().temperature(0.8).seed(seed).build();
    }

    /**
     * Records one request's stream and completions; once armed ({@link #cancelAt}), the token that reaches the
     * given count runs an action on the engine thread.
     */
    private static class Recorder implements GenerationListener {
        final StringBuilder text = new StringBuilder();
        final List<Integer> tokens = new ArrayList<>();
        final List<GenerationResult> completions = new ArrayList<>();
        final CountDownLatch completed = new CountDownLatch(1);
        private volatile Runnable action;
        private int actionAt;
        int tokensAtAction = -1;

        /** At the first token whose count reaches {@code count} after this call, runs {@code cancel} there. */
        void cancelAt(int count, Runnable cancel) {
            actionAt = count;
            action = cancel;
        }

        @Override
        public void onTokens(String textDelta, List<Integer> newTokenIds) {
            text.append(textDelta);
            tokens.addAll(newTokenIds);
            Runnable pending = action;
            if (pending != null && tokens.size() >= actionAt) {
                action = null;
                tokensAtAction = tokens.size();
                pending.run();
            }
        }

        @Override
        public void onComplete(GenerationResult result) {
            completions.add(result);
            completed.countDown();
        }
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @FieldSource("STAGES")
    void cancelledFuturesLeaveTheBatchWithinTheStepsInFlight(int stages) throws InterruptedException {
        EngineConfig engineConfig = config().stages(stages).maxRunningRequests(3).build();
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            requests.add(GenerateRequest.of(PROMPT, sampled(i)));
        }
        List<GenerationResult> uncancelled;
        try (FloodEngine engine = FloodEngine.open(engineConfig)) {
            uncancelled = engine.generate(requests);
        }
        FloodEngine engine = FloodEngine.open(engineConfig);
        List<Recorder> recorders = new ArrayList<>();
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        for (GenerateRequest request : requests) {
            Recorder recorder = new Recorder();
            recorders.add(recorder);
            futures.add(engine.submit(request, recorder));
        }
        // request 0 cancels all eight at its fifth token: three are running, five waiting
        long[] stepsAtCancel = new long[1];
        recorders.get(0).cancelAt(5, () -> {
            stepsAtCancel[0] = engine.metrics().steps();
            futures.forEach(f -> f.cancel(true));
        });
        for (Recorder recorder : recorders) {
            recorder.completed.await();
        }
        engine.close();
        EngineMetrics metrics = engine.metrics();
        // The snapshot read at the cancel misses the step being post-processed; after it only the steps already in
        // flight (at most maxStepsInFlight - 1) are collected, their rows discarded.
        assertTrue(metrics.steps() <= stepsAtCancel[0] + engineConfig.maxStepsInFlight(),
                metrics.steps() + " steps, " + stepsAtCancel[0] + " at the cancel");
        assertEquals(8, metrics.cancelledRequests());
        assertEquals(8, metrics.completedRequests());
        assertEquals(0, metrics.failedRequests());
        assertEquals(0, metrics.runningRequests());
        assertEquals(0, metrics.waitingRequests());
        assertEquals(0, metrics.cache().usedTokens());
        for (int i = 0; i < requests.size(); i++) {
            CompletableFuture<GenerationResult> future = futures.get(i);
            assertTrue(future.isCancelled());
            assertThrows(CancellationException.class, future::join);
            Recorder recorder = recorders.get(i);
            assertEquals(1, recorder.completions.size(), "request " + i + " completes once");
            GenerationResult result = recorder.completions.get(0);
            assertEquals(FinishReason.CANCELLED, result.finishReason());
            assertFalse(result.isError());
            assertTrue(result.isCancelled());
            assertEquals(recorder.text.toString(), result.text(), "request " + i + ": the deltas add up");
            assertEquals(recorder.tokens, result.tokenIds());
            assertEquals(uncancelled.get(i).tokenIds().subList(0, result.tokenIds().size()), result.tokenIds(),
                    "request " + i + " was cut short, not changed");
        }
        assertEquals(recorders.get(0).tokensAtAction, recorders.get(0).tokens.size(),
                "no token of request 0 is taken after its cancel");
    }

    @Test
    void aHandleCancelCompletesTheResultWithWhatWasGenerated() {
        try (FloodEngine engine = FloodEngine.open(config().build())) {
            GenerationResult whole = engine.generate(List.of(GenerateRequest.of(PROMPT, sampled(3)))).get(0);
            Recorder recorder = new Recorder();
            GenerationHandle handle = engine.stream(GenerateRequest.of(PROMPT, sampled(3)), recorder);
            recorder.cancelAt(4, () -> {
                handle.cancel();
                handle.cancel();
            });
            GenerationResult result = handle.result().join();
            assertEquals(FinishReason.CANCELLED, result.finishReason());
            int taken = recorder.tokensAtAction;
            assertTrue(taken >= 4, "cancelled at token " + taken);
            assertEquals(whole.tokenIds().subList(0, taken), result.tokenIds());
            assertEquals(taken, result.completionTokens());
            assertEquals(recorder.text.toString(), result.text());
            assertTrue(whole.text().startsWith(result.text()), result.text() + " / " + whole.text());
            assertEquals(List.of(result), recorder.completions);
            handle.cancel();
            assertEquals(1, engine.metrics().cancelledRequests());
            assertEquals(0, engine.metrics().cache().usedTokens());
        }
    }

    @Test
    void cancellingAFinishedOrRejectedRequestChangesNothing() {
        try (FloodEngine engine = FloodEngine.open(config().build())) {
            CompletableFuture<GenerationResult> done = engine.submit(GenerateRequest.of(PROMPT,
                    SamplingParams.greedy(3)), GenerationListener.NONE);
            GenerationResult result = done.join();
            assertFalse(done.cancel(true));
            assertEquals(FinishReason.LENGTH, result.finishReason());
            GenerationHandle handle = engine.stream(GenerateRequest.of(PROMPT, SamplingParams.greedy(3)),
                    GenerationListener.NONE);
            assertEquals(result, handle.result().join());
            handle.cancel();
            GenerationHandle rejected = engine.stream(GenerateRequest.ofTokens(List.of(), SamplingParams.greedy(3)),
                    GenerationListener.NONE);
            rejected.cancel();
            assertTrue(rejected.result().join().isError());
            assertEquals(result, engine.generate(List.of(GenerateRequest.of(PROMPT, SamplingParams.greedy(3)))).get(0));
            assertEquals(0, engine.metrics().cancelledRequests());
        }
    }

    @Test
    void anInterruptedCallerCancelsItsRequests() throws InterruptedException {
        try (FloodEngine engine = FloodEngine.open(config().build())) {
            List<GenerateRequest> requests = List.of(GenerateRequest.of(PROMPT, sampled(1)),
                    GenerateRequest.of(PROMPT, sampled(2)));
            EngineGate.whileHeld(engine, held -> {
                Thread.currentThread().interrupt();
                CancellationException e = assertThrows(CancellationException.class, () -> held.generate(requests));
                assertTrue(Thread.interrupted(), "the interrupt status stays set");
                assertEquals("interrupted while waiting: its 2 requests were cancelled", e.getMessage());
                Thread.currentThread().interrupt();
                assertThrows(CancellationException.class, () -> held.score(List.of(PROMPT)));
                assertTrue(Thread.interrupted());
            });
            assertFalse(engine.generate(List.of(GenerateRequest.of(PROMPT, SamplingParams.greedy(2)))).get(0)
                    .isError());
            EngineMetrics metrics = engine.metrics();
            assertEquals(3, metrics.cancelledRequests());
            assertEquals(0, metrics.failedRequests());
            assertEquals(0, metrics.cache().usedTokens());
        }
    }

    @Test
    void scoringAndOptionFuturesCancelTheirSequences() throws InterruptedException {
        try (FloodEngine engine = FloodEngine.open(config().build())) {
            int promptTokens = engine.tokenizer().encode(PROMPT).length;
            ScoreOptions windowed = ScoreOptions.DEFAULTS.withMaxLength(8).withStride(4);
            int windows = ScoreWindows.of(promptTokens, 8, 4).size();
            assertTrue(windows > 1, promptTokens + " tokens");
            List<CompletableFuture<?>> futures = new ArrayList<>();
            EngineGate.whileHeld(engine, held -> {
                CompletableFuture<ScoreResult> score = held.submitScore(PROMPT);
                CompletableFuture<OptionScores> options = held.submitOptions(PROMPT, List.of(" yes", " no", " maybe"));
                CompletableFuture<ScoreResult> inWindows = held.submitScore(ScoreRequest.of(PROMPT, windowed));
                assertTrue(score.cancel(false));
                assertTrue(options.cancel(false));
                assertTrue(inWindows.cancel(false));
                futures.addAll(List.of(score, options, inWindows));
            });
            for (CompletableFuture<?> future : futures) {
                assertThrows(CancellationException.class, future::join);
            }
            ScoreResult after = engine.score(List.of(PROMPT)).get(0);
            assertFalse(after.isError(), after.error());
            assertEquals(4 + windows, engine.metrics().cancelledRequests(),
                    "the text, the three options and each window of the windowed text");
            assertEquals(0, engine.metrics().cache().usedTokens());
        }
    }
}
