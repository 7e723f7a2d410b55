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
import dev.flood.api.OptionScores;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.testing.EngineGate;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Texts longer than the window, scored by the engine in sliding windows, against the same procedure computed
 * here window by window: each window's tokens scored alone as a text that fits, and its targets cut out as
 * transformers' perplexity guide does (the windows themselves are checked against the guide's loop in
 * {@link ScoreWindowsTest}). The CPU backend computes every row the same whatever the batch, so the two must be
 * identical, also when windows are preempted and recomputed. {@code SlidingWindowReferenceTest} compares with
 * transformers' own numbers.
 */
class SlidingWindowScoringTest {

    private static final long SEED = System.nanoTime();
    private static FloodEngine engine;

    @BeforeAll
    static void open() {
        engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(61)
                .build());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static List<Integer> randomTokens(Random random, int count) {
        List<Integer> ids = new ArrayList<>(List.of(0));
        while (ids.size() < count) {
            ids.add(3 + random.nextInt(1021));
        }
        return ids;
    }

    /** The windowed log-probabilities computed from each window scored alone (the guide's loop). */
    private static List<Double> windowByWindow(FloodEngine engine, List<Integer> ids, int maxLength, int stride) {
        List<Double> logprobs = new ArrayList<>();
        int previousEnd = 0;
        for (int begin = 0; ; begin += stride) {
            int end = Math.min(begin + maxLength, ids.size());
            ScoreResult alone = engine.submitScore(ScoreRequest.ofTokens(ids.subList(begin, end),
                    ScoreOptions.DEFAULTS)).join();
            assertFalse(alone.isError(), alone.error());
            assertEquals(1, alone.windows());
            // entry i of a window is log p(window token i + 1): its targets are tokens max(previousEnd, begin + 1)..
            logprobs.addAll(alone.tokenLogprobs().subList(Math.max(previousEnd, begin + 1) - begin - 1, end - begin - 1));
            previousEnd = end;
            if (end == ids.size()) {
                return logprobs;
            }
        }
    }

    @ParameterizedTest(name = "{0} tokens, max_length {1}, stride {2}")
    @CsvSource({"700, 0, 0, 512, 256, 2", "800, 0, 0, 512, 256, 3", "200, 64, 24, 64, 24, 7", "150, 100, 99, 100, 99, 2", "19, 4, 1, 4, 1, 16",
        "111, 111, 0, 111, 55, 1"})
    void windowedScoresAreEachWindowScoredAlone(int numTokens, int maxLength, int stride, int window,
                                                int effectiveStride, int expectedWindows) {
        List<Integer> ids = randomTokens(new Random(SEED + numTokens), numTokens);
        ScoreResult windowed = engine.submitScore(ScoreRequest.ofTokens(ids,
                ScoreOptions.DEFAULTS.withMaxLength(maxLength).withStride(stride))).join();
        String where = numTokens + " tokens (seed " + SEED + ")";
        assertFalse(windowed.isError(), windowed.error());
        assertEquals(expectedWindows, windowed.windows(), where);
        assertEquals(ids, windowed.tokenIds());
        assertEquals(numTokens - 1, windowed.tokenLogprobs().size(), where);
        assertEquals(windowByWindow(engine, ids, window, effectiveStride), windowed.tokenLogprobs(), where);
        double mean = windowed.tokenLogprobs().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertEquals(-mean, windowed.meanNll(), 1e-12);
        assertEquals(Math.exp(-mean), windowed.perplexity(), 1e-9 * windowed.perplexity());
    }

    /**
     * Long texts beside generations that grow step by step, through a cache of 300 slots with incremental
     * reservation: requests (windows among them) are preempted and recomputed, and each position keeps the
     * log-probability it first got (identical on recomputation here).
     */
    @Test
    void preemptedWindowsLoseAndRepeatNothing() throws InterruptedException {
        Random random = new Random(SEED);
        ScoreOptions options = ScoreOptions.DEFAULTS.withMaxLength(120).withStride(50);
        List<List<Integer>> texts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            texts.add(randomTokens(random, 150 + random.nextInt(250)));
        }
        List<ScoreResult> roomy = texts.stream().map(ids -> engine.submitScore(ScoreRequest.ofTokens(ids, options)))
                .toList().stream().map(CompletableFuture::join).toList();
        EngineConfig tight = EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(61)
                .cacheTokens(300).reservation(CacheReservation.INCREMENTAL).build();
        SamplingParams long40 = SamplingParams.builder().maxNewTokens(40).ignoreEos().build();
        try (FloodEngine small = FloodEngine.open(tight)) {
            List<CompletableFuture<GenerationResult>> generations = new ArrayList<>();
            List<CompletableFuture<ScoreResult>> futures = new ArrayList<>();
            // all queued while the engine is held, so that they compete for the cache however fast this thread runs
            EngineGate.whileHeld(small, held -> {
                for (List<Integer> ids : texts) {
                    generations.add(held.submit(GenerateRequest.ofTokens(randomTokens(random, 60), long40),
                            GenerationListener.NONE));
                    futures.add(held.submitScore(ScoreRequest.ofTokens(ids, options)));
                }
            });
            for (int i = 0; i < texts.size(); i++) {
                ScoreResult result = futures.get(i).join();
                assertFalse(result.isError(), result.error());
                assertEquals(roomy.get(i).windows(), result.windows());
                assertEquals(roomy.get(i).tokenLogprobs(), result.tokenLogprobs(), "text " + i + " (seed " + SEED + ")");
                assertFalse(generations.get(i).join().isError());
            }
            assertTrue(small.metrics().preemptions() > 0, "the cache was meant to be too small for all at once");
        }
    }

    /** Option scoring takes the same path: a prompt past the context is read in windows. */
    @Test
    void optionsAfterAPromptPastTheContextAreScoredInWindows() {
        String prompt = "The whale swam on and on. ".repeat(80);
        List<String> options = List.of(" The sea was calm.", " Call me Ishmael");
        OptionScores scores = engine.submitOptions(prompt, options).join();
        assertFalse(scores.isError(), scores.error());
        int[] promptIds = engine.tokenizer().encode(prompt);
        assertTrue(promptIds.length > 512, "the prompt should be past the context: " + promptIds.length);
        for (int i = 0; i < options.size(); i++) {
            List<Integer> ids = new ArrayList<>();
            for (int id : promptIds) {
                ids.add(id);
            }
            for (int id : engine.tokenizer().encodeWithoutSpecialTokens(options.get(i))) {
                ids.add(id);
            }
            ScoreResult text = engine.submitScore(ScoreRequest.ofTokens(ids, ScoreOptions.DEFAULTS)).join();
            assertTrue(text.windows() > 1);
            double sum = 0;
            for (int t = promptIds.length - 1; t < text.tokenLogprobs().size(); t++) {
                sum += text.tokenLogprobs().get(t);
            }
            assertEquals(sum, scores.logLikelihoods().get(i), 1e-12, "option " + i);
        }
    }
}
