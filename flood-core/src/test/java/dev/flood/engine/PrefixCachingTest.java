package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.EngineConfig.PrefixCaching;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreResult;
import dev.flood.cache.PrefixCache;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Prefix caching changes how much is computed, never what: with it on, requests give exactly the tokens,
 * log-probabilities and perplexities they give with it off (the CPU backend computes each position the same
 * whatever the chunk, batch or extents it is in). Requests share no prefix, part of one (a system prompt, cut
 * anywhere, then their own tokens) or all of one (the same prompt with other seeds, a prompt that is a prefix of
 * others); greedy and seeded sampling; all at once, from several threads, one step at a time, on 2 stages, and
 * through preemption in a small cache. And what a device would need beyond equal numbers: no attention reads a
 * slot that does not hold its request's context (never written, another position, or a stale value), with the
 * cache starting as NaN ({@link LineageRuns}).
 */
class PrefixCachingTest {

    private static final long SEED = System.nanoTime();
    private static final int VOCAB_FROM = 3;
    private static final int VOCAB_IDS = 1021;
    private static List<GenerateRequest> requests;
    private static List<GenerationResult> expected;
    private static long expectedPromptTokens;
    private static List<String> texts;
    private static List<ScoreResult> expectedScores;

    @BeforeAll
    static void runWithoutPrefixCaching() {
        Random random = new Random(SEED);
        List<Integer> longPrefix = randomIds(random, 100);
        List<Integer> shortPrefix = randomIds(random, 40);
        List<List<Integer>> prompts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            prompts.add(concat(longPrefix, randomIds(random, 1 + random.nextInt(40))));
        }
        for (int i = 0; i < 8; i++) {
            prompts.add(concat(shortPrefix, randomIds(random, 1 + random.nextInt(30))));
        }
        for (int i = 0; i < 3; i++) {
            prompts.add(shortPrefix);                              // all of a prefix others extend
            prompts.add(shortPrefix.subList(0, 32));               // exactly two blocks
            prompts.add(prompts.get(i));                           // the same prompt again
            prompts.add(longPrefix.subList(0, 17 + 23 * i));       // part of a prefix, cut mid-block
        }
        for (int i = 0; i < 8; i++) {
            prompts.add(randomIds(random, 1 + random.nextInt(80)));
        }
        Collections.shuffle(prompts, random);
        requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            SamplingParams.Builder params = SamplingParams.builder().maxNewTokens(3 + random.nextInt(10)).ignoreEos()
                    .logprobs(i % 3);
            if (i % 2 == 1) {
                params.temperature(0.7 + random.nextDouble()).topP(0.9).topK(50).seed(random.nextLong());
            }
            requests.add(GenerateRequest.ofTokens(prompts.get(i), params.build()));
        }
        String preamble = "Answer the question about the passage. The passage: the river rose for three days "
                + "and the town moved its records to the hill. ";
        texts = List.of(preamble + "Question: why the hill?", preamble + "Question: how long did it rise?",
                preamble, preamble + "Question: what moved?", "An unrelated text.");
        try (FloodEngine engine = FloodEngine.open(config().stepsInFlight(1).prefixCaching(PrefixCaching.OFF).build())) {
            expected = engine.generate(requests);
            expectedPromptTokens = engine.metrics().promptTokens();
            expectedScores = engine.score(texts);
        }
    }

    private static EngineConfig.Builder config() {
        return EngineConfig.builder(Fixtures.model("tiny-qwen3")).threads(2);
    }

    static Stream<Arguments> engines() {
        return Stream.of(
                Arguments.of("one stage, steps in flight", config().maxBatchTokens(97)),
                Arguments.of("one step at a time", config().maxBatchTokens(61).stepsInFlight(1)),
                Arguments.of("2 stages", config().stages(2).maxBatchTokens(97)),
                Arguments.of("incremental reservation", config().maxBatchTokens(97)
                        .reservation(CacheReservation.INCREMENTAL)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void sameResultsAndOnlyTheUncachedPromptTokensComputed(String what, EngineConfig.Builder config) {
        try (FloodEngine engine = FloodEngine.open(config.build())) {
            check(engine.generate(requests), what);
            EngineMetrics metrics = engine.metrics();
            assertEquals(0, metrics.preemptions(), what);
            assertTrue(metrics.prefixCache().hitTokens() > 0, what + ": no prefix was read from the cache");
            assertEquals(expectedPromptTokens, metrics.promptTokens() + metrics.prefixCache().hitTokens(),
                    what + ": computed plus cached prompt tokens");
            assertEquals(requests.size(), metrics.prefixCache().lookups(), what);
            assertEquals(0, metrics.cache().usedTokens(), what + ": every request's own slots freed");
            assertTrue(metrics.cache().cachedTokens() > 0, what + ": prefixes stay cached");
            assertEquals(expectedScores, engine.score(texts), what + ": scores");
            assertEquals(expected, engine.generate(requests), what + ": again, from a warm cache");
        }
    }

    static Stream<Arguments> watchedEngines() {
        return Stream.of(
                Arguments.of("one stage, steps in flight", config().maxBatchTokens(97).cacheTokens(8192)),
                Arguments.of("2 stages", config().stages(2).maxBatchTokens(23).cacheTokens(8192)),
                Arguments.of("small cache", config().maxBatchTokens(61).cacheTokens(200)
                        .reservation(CacheReservation.INCREMENTAL)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("watchedEngines")
    void attentionReadsOnlySlotsHoldingItsRequestsContext(String what, EngineConfig.Builder config) {
        LineageRuns.Run run = LineageRuns.run(config.build(), engine -> {
            check(engine.generate(requests), what);
            assertEquals(expectedScores, engine.score(texts), what + ": scores");
            check(engine.generate(requests), what + ", from a warm cache");
            assertTrue(engine.metrics().prefixCache().hitTokens() > 0, what + ": no prefix was read from the cache");
        });
        assertEquals(List.of(), run.violations(), what + " (seed " + SEED + ")");
    }

    @ParameterizedTest(name = "{0} stage(s)")
    @MethodSource("stages")
    void sameResultsThroughPreemptionInASmallCache(int stages) {
        // 200 slots: above the largest request (140 prompt + 12 new), below what a few dozen need at once
        EngineConfig small = config().stages(stages).maxBatchTokens(61).cacheTokens(200)
                .reservation(CacheReservation.INCREMENTAL).build();
        try (FloodEngine engine = FloodEngine.open(small)) {
            List<CompletableFuture<GenerationResult>> futures = requests.stream()
                    .map(r -> engine.submit(r, GenerationListener.NONE)).toList();
            check(futures.stream().map(CompletableFuture::join).toList(), "small cache");
            EngineMetrics metrics = engine.metrics();
            assertTrue(metrics.preemptions() > 0, "the small cache should force preemptions");
            assertTrue(metrics.prefixCache().evictedTokens() > 0, "the small cache should force evictions");
            assertTrue(metrics.prefixCache().hitTokens() > 0, "no prefix was read from the cache");
            assertEquals(0, metrics.cache().usedTokens(), "every request's own slots freed");
        }
    }

    static Stream<Integer> stages() {
        return Stream.of(1, 2);
    }

    @Test
    void sameResultsFromSeveralThreads() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (FloodEngine engine = FloodEngine.open(config().maxBatchTokens(131).build())) {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (GenerateRequest request : requests) {
                futures.add(callers.submit(() -> engine.submit(request, GenerationListener.NONE).join()));
            }
            List<GenerationResult> results = new ArrayList<>();
            for (Future<GenerationResult> f : futures) {
                results.add(f.get());
            }
            check(results, "several threads");
            assertTrue(engine.metrics().prefixCache().hitTokens() > 0, "no prefix was read from the cache");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void optionScoringComputesThePromptOnce() {
        String prompt = "Read the passage and pick the word that fits. The river rose for three days and the town "
                + "moved its records, its bells and its archive of letters to the hill above the mill. They moved";
        List<String> options = List.of(" them", " slowly", " the records to the hill", " nothing", " bells");
        OptionScores expectedScores;
        long computedWithout;
        try (FloodEngine engine = FloodEngine.open(config().prefixCaching(PrefixCaching.OFF).build())) {
            expectedScores = engine.submitOptions(prompt, options).join();
            computedWithout = engine.metrics().promptTokens();
        }
        assertFalse(expectedScores.isError(), expectedScores.error());
        try (FloodEngine engine = FloodEngine.open(config().build())) {
            OptionScores scores = engine.submitOptions(prompt, options).join();
            assertEquals(expectedScores, scores, "option scores with prefix caching");
            EngineMetrics metrics = engine.metrics();
            // every option after the first reads the prompt's full blocks before its last token from the cache
            int promptLength = engine.tokenizer().encode(prompt).length;
            int cachedPerOption = (promptLength - 1) / PrefixCache.BLOCK_TOKENS * PrefixCache.BLOCK_TOKENS;
            assertTrue(cachedPerOption >= 32, "the prompt should span blocks: " + promptLength + " tokens");
            assertEquals((long) (options.size() - 1) * cachedPerOption, metrics.prefixCache().hitTokens());
            assertEquals(computedWithout, metrics.promptTokens() + metrics.prefixCache().hitTokens());
        }
    }

    private static void check(List<GenerationResult> results, String how) {
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult r = results.get(i);
            assertFalse(r.isError(), how + " request " + i + ": " + r.error());
            assertEquals(expected.get(i), r, how + ": request " + i + " differs with prefix caching (seed " + SEED + ")");
        }
    }

    private static List<Integer> randomIds(Random random, int length) {
        List<Integer> ids = new ArrayList<>(List.of(0));
        for (int j = 1; j < length; j++) {
            ids.add(VOCAB_FROM + random.nextInt(VOCAB_IDS));
        }
        return ids;
    }

    private static List<Integer> concat(List<Integer> first, List<Integer> second) {
        List<Integer> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
