package dev.flood.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.flood.api.PrefixCacheStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random requests through the prefix cache over a simulated KV slab: computing token t of a prompt writes, into
 * its slot, a value that stands for the prompt's tokens 0..t. After every operation each live table must read, at
 * each of its computed positions, its own prefix's value: a wrong hit (a hash collision served), a block evicted or
 * freed while listed, or a step writing a shared slot would show there. Prompts share prefixes of random lengths,
 * and half the sequences use a weak block hash that collides all the time. After every request ends and the cache
 * is cleared, the free space is one extent again. Every sequence draws a fresh seed, printed with any failure.
 */
class PrefixCachePropertyTest {

    private static final int SEQUENCES = 40;
    private static final int OPERATIONS = 300;
    private static final int B = PrefixCache.BLOCK_TOKENS;

    /** A live request: its prompt, table, and how many of its tokens are computed. */
    private record Request(int[] tokens, long[] values, SegmentTable table, int[] computed) {
    }

    @ParameterizedTest
    @ValueSource(ints = {61, 300, 2000})
    void randomRequestsReadOnlyTheirOwnPrefixes(int capacityTokens) {
        long hitTokens = 0;
        long evictedTokens = 0;
        for (int sequence = 0; sequence < SEQUENCES; sequence++) {
            long seed = ThreadLocalRandom.current().nextLong();
            try {
                PrefixCacheStats stats = runSequence(seed, capacityTokens);
                hitTokens += stats.hitTokens();
                evictedTokens += stats.evictedTokens();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ", capacityTokens " + capacityTokens + ": " + e, e);
            }
        }
        assertTrue(hitTokens > 0, "no request ever read a cached prefix");
        assertTrue(evictedTokens > 0, "nothing was ever evicted");
    }

    /** Runs one random sequence and returns the cache's counters at its end. */
    private static PrefixCacheStats runSequence(long seed, int capacityTokens) {
        Random random = new Random(seed);
        boolean weakHash = random.nextBoolean();
        SegmentAllocator allocator = new SegmentAllocator(capacityTokens, 2 + random.nextInt(5));
        PrefixCache cache = PrefixCache.on(allocator);
        long[] slab = new long[capacityTokens];
        List<int[]> stems = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            stems.add(randomTokens(random, random.nextInt(Math.min(90, capacityTokens))));
        }
        List<Request> live = new ArrayList<>();
        for (int step = 0; step < OPERATIONS; step++) {
            int choice = random.nextInt(20);
            String operation;
            if (choice < 7 || live.isEmpty()) {
                operation = "admit";
                admit(cache, stems, live, weakHash, random, capacityTokens);
            } else if (choice < 15) {
                Request request = live.get(random.nextInt(live.size()));
                operation = "compute " + request.table();
                compute(cache, request, slab, random);
            } else if (choice < 19) {
                Request request = live.remove(random.nextInt(live.size()));
                operation = "free " + request.table();
                cache.free(request.table());
            } else {
                operation = "clear";
                cache.clear();
            }
            checkInvariants(allocator, cache, live, slab, "step " + step + " " + operation);
        }
        while (!live.isEmpty()) {
            cache.free(live.remove(random.nextInt(live.size())).table());
            checkInvariants(allocator, cache, live, slab, "freeing all, " + live.size() + " left");
        }
        cache.clear();
        assertEquals(List.of(new Extent(0, capacityTokens)), allocator.freeExtents(), "free space after clear");
        assertEquals(0, allocator.cachedTokens());
        assertEquals(0, cache.stats().unreferencedTokens());
        return cache.stats();
    }

    /** A prompt: one of the stems cut somewhere, then random tokens from a small alphabet (blocks often agree). */
    private static void admit(PrefixCache cache, List<int[]> stems, List<Request> live, boolean weakHash,
                              Random random, int capacityTokens) {
        int[] stem = stems.get(random.nextInt(stems.size()));
        int keep = random.nextInt(stem.length + 1);
        int[] tail = randomTokens(random, 1 + random.nextInt(40));
        int[] tokens = new int[Math.min(keep + tail.length, capacityTokens)];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i < keep ? stem[i] : tail[i - keep];
        }
        PromptBlocks prompt = weakHash ? weaklyHashed(tokens) : PromptBlocks.of(tokens);
        int skippable = random.nextInt(4) == 0 ? random.nextInt(tokens.length) : tokens.length - 1;
        PrefixCache.Match match = cache.match(prompt, skippable);
        assertTrue(match.tokens() <= skippable, "matched " + match.tokens() + " of at most " + skippable);
        if (match.waits()) {
            return;
        }
        int own = Math.max(1, Math.min(tokens.length - match.tokens() + random.nextInt(8),
                capacityTokens - match.tokens()));
        Optional<SegmentTable> table = cache.allocate(match, own);
        if (table.isPresent()) {
            assertEquals(match.tokens(), table.get().sharedTokens());
            live.add(new Request(tokens, prefixValues(tokens), table.get(), new int[] {match.tokens()}));
        }
    }

    /** Computes a chunk of the request's next tokens (growing its table if needed), then publishes. */
    private static void compute(PrefixCache cache, Request request, long[] slab, Random random) {
        SegmentTable table = request.table();
        int computed = request.computed()[0];
        if (computed == request.tokens().length) {
            return;
        }
        int chunk = 1 + random.nextInt(request.tokens().length - computed);
        int needed = computed + chunk - table.capacityTokens();
        if (needed > 0 && !cache.grow(table, needed)) {
            return;
        }
        for (int t = computed; t < computed + chunk; t++) {
            if (t < table.sharedTokens()) {
                fail("position " + t + " would be written into the shared slots of " + table);
            }
            slab[table.slot(t)] = request.values()[t];
        }
        request.computed()[0] = computed + chunk;
        cache.publish(table, computed + chunk);
    }

    private static void checkInvariants(SegmentAllocator allocator, PrefixCache cache, List<Request> live,
                                        long[] slab, String context) {
        boolean[] listed = new boolean[slab.length];
        int listedTokens = 0;
        for (Request request : live) {
            SegmentTable table = request.table();
            assertTrue(table.sharedTokens() <= request.computed()[0], context + ": shared beyond computed");
            assertTrue(table.numExtents() <= allocator.maxExtentsPerRequest(), context + ": " + table);
            for (int t = 0; t < request.computed()[0]; t++) {
                if (slab[table.slot(t)] != request.values()[t]) {
                    fail(context + ": position " + t + " of " + table + " (shared " + table.sharedTokens()
                            + ") holds another prefix's keys and values");
                }
            }
            for (int t = 0; t < table.sharedTokens(); t++) {
                int slot = table.slot(t);
                listedTokens += listed[slot] ? 0 : 1;
                listed[slot] = true;
            }
        }
        boolean[] cached = new boolean[slab.length];
        for (Extent run : allocator.cachedExtents()) {
            for (int slot = run.start(); slot < run.end(); slot++) {
                cached[slot] = true;
            }
        }
        for (int slot = 0; slot < slab.length; slot++) {
            if (listed[slot] && !cached[slot]) {
                fail(context + ": slot " + slot + " is listed but no longer cached");
            }
        }
        PrefixCacheStats stats = cache.stats();
        assertEquals(allocator.cachedTokens() - listedTokens, stats.unreferencedTokens(),
                context + ": unreferenced vs cached minus listed");
        assertEquals(0, allocator.cachedTokens() % B, context + ": whole blocks");
    }

    private static int[] randomTokens(Random random, int length) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = random.nextInt(3);
        }
        return tokens;
    }

    /** Block hashes that depend only on the blocks' token sums modulo 3: most different prefixes collide. */
    private static PromptBlocks weaklyHashed(int[] tokens) {
        long[] hashes = new long[tokens.length / B];
        for (int b = 0; b < hashes.length; b++) {
            int sum = 0;
            for (int i = b * B; i < (b + 1) * B; i++) {
                sum += tokens[i];
            }
            hashes[b] = sum % 3;
        }
        return new PromptBlocks(tokens, hashes);
    }

    /** values[t] stands for tokens[0..t]: a 64-bit chain (no two prefixes in a run share one, in practice). */
    private static long[] prefixValues(int[] tokens) {
        long[] values = new long[tokens.length];
        long state = 17;
        for (int t = 0; t < tokens.length; t++) {
            state = (state + tokens[t] + 1) * 0xBF58476D1CE4E5B9L;
            state ^= state >>> 31;
            values[t] = state;
        }
        return values;
    }
}
