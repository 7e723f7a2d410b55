package dev.flood.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Claims share an engine's prefix cache counts out without counting a hit twice: the claims of several callers add
 * up to the engine's counts, each claim holds what was counted since the one before, whoever caused it. Prompts
 * share a prefix of three full cache blocks (48 tokens), so every prompt after the first reads exactly 48 tokens
 * from the cache.
 */
class PrefixCacheClaimsTest {

    private static final long SEED = System.nanoTime();
    private static final int PREFIX_TOKENS = 48;

    private static List<Integer> randomIds(Random random, int count) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(3 + random.nextInt(1000));
        }
        return ids;
    }

    private static CompletableFuture<GenerationResult> submit(FloodEngine engine, List<Integer> prefix, Random random) {
        List<Integer> prompt = new ArrayList<>(prefix);
        prompt.addAll(randomIds(random, 1 + random.nextInt(15)));
        return engine.submit(GenerateRequest.ofTokens(prompt, SamplingParams.greedy(2)), GenerationListener.NONE);
    }

    @Test
    void claimsAddUpToTheEnginesCountsAndEachHoldsWhatCameSinceTheLast() {
        Random random = new Random(SEED);
        List<Integer> prefix = randomIds(random, PREFIX_TOKENS);
        try (FloodEngine engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).threads(1)
                .build())) {
            PrefixCacheClaims.register(engine);
            submit(engine, prefix, random).join();
            // a second caller registering later does not move the cursor: the first request stays to be claimed
            PrefixCacheClaims.register(engine);
            PrefixCacheStats first = PrefixCacheClaims.claim(engine);
            assertEquals(1, first.lookups(), "seed " + SEED);
            assertEquals(0, first.hitTokens(), "nothing was cached before the first request");

            CompletableFuture<GenerationResult> second = submit(engine, prefix, random);
            CompletableFuture<GenerationResult> third = submit(engine, prefix, random);
            second.join();
            third.join();
            PrefixCacheStats next = PrefixCacheClaims.claim(engine);
            assertEquals(2, next.lookups());
            assertEquals(2, next.hits());
            assertEquals(2 * PREFIX_TOKENS, next.hitTokens(), "seed " + SEED);

            PrefixCacheStats none = PrefixCacheClaims.claim(engine);
            assertEquals(0, none.lookups());
            assertEquals(0, none.hitTokens());

            PrefixCacheStats total = engine.metrics().prefixCache();
            assertEquals(total.lookups(), first.lookups() + next.lookups());
            assertEquals(total.lookedUpTokens(), first.lookedUpTokens() + next.lookedUpTokens());
            assertEquals(total.hitTokens(), first.hitTokens() + next.hitTokens());
            assertTrue(total.hitRate() > 0, total.toString());
        }
    }

    @Test
    void aClaimOnAnEngineNeverRegisteredFails() {
        try (FloodEngine engine = FloodEngine.open(EngineConfig.builder(Fixtures.model("tiny-llama")).threads(1)
                .build())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> PrefixCacheClaims.claim(engine));
            assertTrue(e.getMessage().startsWith("prefix cache claim on an engine never registered"), e.getMessage());
        }
    }
}
