package dev.flood.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.PrefixCacheStats;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The prefix cache scenario by scenario: what is matched, published, waited for and evicted. */
class PrefixCacheTest {

    private static final int B = PrefixCache.BLOCK_TOKENS;

    /** {@code length} tokens: {@code shared} tokens 1000, 1001, ... then tokens that depend on {@code variant}. */
    private static int[] prompt(int shared, int length, int variant) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = i < shared ? 1000 + i : 5000 + 100 * variant + i;
        }
        return tokens;
    }

    /** Allocates a table for a whole prompt after what it matches, and returns it. */
    private static SegmentTable admit(PrefixCache cache, PromptBlocks prompt, int ownExtra) {
        PrefixCache.Match match = cache.match(prompt, prompt.numTokens() - 1);
        return cache.allocate(match, prompt.numTokens() - match.tokens() + ownExtra).orElseThrow();
    }

    private static int[] slots(SegmentTable table, int count) {
        int[] slots = new int[count];
        table.slots(0, count, slots, 0);
        return slots;
    }

    @Test
    void aPublishedPrefixIsListedFirstByTheNextRequestThatStartsWithIt() {
        SegmentAllocator allocator = new SegmentAllocator(200, 4);
        PrefixCache cache = PrefixCache.on(allocator);
        PromptBlocks first = PromptBlocks.of(prompt(40, 40, 0));
        SegmentTable a = admit(cache, first, 5);
        cache.publish(a, 20);
        assertEquals(B, a.sharedTokens(), "one full block computed");
        cache.publish(a, 40);
        assertEquals(2 * B, a.sharedTokens(), "the partial third block stays the table's own");
        assertEquals(2 * B, allocator.cachedTokens());
        assertEquals(1, allocator.stats().cachedExtents());

        PromptBlocks second = PromptBlocks.of(prompt(20, 50, 1));
        PrefixCache.Match match = cache.match(second, 49);
        assertEquals(B, match.tokens(), "only the first block is the same");
        SegmentTable b = cache.allocate(match, 50 - B).orElseThrow();
        assertEquals(B, b.sharedTokens());
        assertEquals(Arrays.toString(slots(a, B)), Arrays.toString(slots(b, B)), "the same slots");

        PrefixCacheStats stats = cache.stats();
        assertEquals(2, stats.lookups());
        assertEquals(1, stats.hits());
        assertEquals(90, stats.lookedUpTokens());
        assertEquals(B, stats.hitTokens());
        assertEquals(B / 90.0, stats.hitRate(), 1e-12);
    }

    @Test
    void aMatchLeavesTheTokensWhoseOutputsTheRequestNeeds() {
        PrefixCache cache = PrefixCache.on(new SegmentAllocator(200, 4));
        PromptBlocks prompt = PromptBlocks.of(prompt(32, 32, 0));
        SegmentTable a = admit(cache, prompt, 0);
        cache.publish(a, 32);
        assertEquals(B, cache.match(prompt, 31).tokens(), "the last prompt token's row is needed: one block");
        assertEquals(2 * B, cache.match(prompt, 32).tokens());
        assertEquals(0, cache.match(prompt, 15).tokens());
        assertEquals(0, cache.match(prompt, 0).tokens());
    }

    @Test
    void aHashCollisionIsAMissNeverAnotherPromptsCache() {
        SegmentAllocator allocator = new SegmentAllocator(200, 4);
        PrefixCache cache = PrefixCache.on(allocator);
        int[] tokens = prompt(48, 48, 0);
        PromptBlocks real = new PromptBlocks(tokens, new long[] {1, 2, 3});
        SegmentTable a = admit(cache, real, 0);
        cache.publish(a, 48);
        assertEquals(3 * B, allocator.cachedTokens());

        int[] otherSecond = tokens.clone();
        otherSecond[B + 3]++;
        assertEquals(B, cache.match(new PromptBlocks(otherSecond, new long[] {1, 2, 3}), 47).tokens(),
                "block 1 has the hash but not the tokens");
        int[] otherFirst = tokens.clone();
        otherFirst[0]++;
        assertEquals(0, cache.match(new PromptBlocks(otherFirst, new long[] {1, 2, 3}), 47).tokens(),
                "block 1 has the hash and the tokens but follows another block 0");
        assertEquals(0, cache.match(new PromptBlocks(tokens, new long[] {9, 2, 3}), 47).tokens(),
                "block 0 is found under its hash only");

        // a colliding block is not published: the table keeps it, and all after it, as its own
        SegmentTable c = admit(cache, new PromptBlocks(otherFirst, new long[] {1, 7, 8}), 0);
        cache.publish(c, 48);
        assertEquals(0, c.sharedTokens());
        assertEquals(3 * B, allocator.cachedTokens());
    }

    @Test
    void aRequestWaitsForABlockARunningRequestIsComputing() {
        PrefixCache cache = PrefixCache.on(new SegmentAllocator(400, 4));
        PromptBlocks computing = PromptBlocks.of(prompt(60, 60, 0));
        SegmentTable a = admit(cache, computing, 0);
        PromptBlocks sameStart = PromptBlocks.of(prompt(40, 70, 1));
        PromptBlocks otherStart = PromptBlocks.of(prompt(0, 70, 2));
        assertTrue(cache.match(sameStart, 69).waits());
        assertFalse(cache.match(otherStart, 69).waits());
        assertFalse(cache.match(sameStart, 15).waits(), "it may not skip the first block anyway");

        cache.publish(a, 16);
        PrefixCache.Match partial = cache.match(sameStart, 69);
        assertEquals(B, partial.tokens());
        assertTrue(partial.waits(), "block 1 is still being computed");
        cache.publish(a, 48);
        PrefixCache.Match whole = cache.match(sameStart, 69);
        assertEquals(2 * B, whole.tokens(), "block 2 differs");
        assertFalse(whole.waits());

        SegmentTable b = admit(cache, PromptBlocks.of(prompt(60, 90, 3)), 0);
        PromptBlocks likeB = PromptBlocks.of(prompt(60, 95, 3));
        assertTrue(cache.match(likeB, 94).waits(), "waits on b's fourth block");
        cache.free(b);
        assertFalse(cache.match(likeB, 94).waits(), "b will never publish it");
    }

    @Test
    void unreferencedBlocksAreEvictedLeastRecentlyReleasedFirstAndLastBlockFirst() {
        SegmentAllocator allocator = new SegmentAllocator(6 * B, 8);
        PrefixCache cache = PrefixCache.on(allocator);
        PromptBlocks older = PromptBlocks.of(prompt(0, 2 * B + 1, 0));
        PromptBlocks newer = PromptBlocks.of(prompt(0, 2 * B + 1, 1));
        SegmentTable a = admit(cache, older, 0);
        SegmentTable b = admit(cache, newer, 0);
        cache.publish(a, 2 * B + 1);
        cache.publish(b, 2 * B + 1);
        cache.free(a);
        cache.free(b);
        assertEquals(4 * B, allocator.cachedTokens());
        assertEquals(4 * B, cache.stats().unreferencedTokens());

        // 3 blocks' worth: 2 are free, the older prompt's last block goes
        SegmentTable c = cache.allocate(cache.match(PromptBlocks.of(prompt(0, 3 * B, 2)), 0), 3 * B).orElseThrow();
        assertEquals(3 * B, allocator.cachedTokens());
        assertEquals(B, cache.match(older, 2 * B).tokens(), "the older prompt lost its last block");
        assertEquals(2 * B, cache.match(newer, 2 * B).tokens());
        assertEquals(B, cache.stats().evictedTokens());
        cache.free(c);
    }

    @Test
    void aBlockARequestListsIsNeverEvictedAndAHopelessAllocationEvictsNothing() {
        SegmentAllocator allocator = new SegmentAllocator(6 * B, 8);
        PrefixCache cache = PrefixCache.on(allocator);
        PromptBlocks held = PromptBlocks.of(prompt(0, 2 * B + 1, 0));
        SegmentTable a = admit(cache, held, 0);
        cache.publish(a, 2 * B + 1);
        SegmentTable b = admit(cache, held, 0);
        assertEquals(2 * B, b.sharedTokens());
        cache.free(a);
        assertEquals(0, cache.stats().unreferencedTokens(), "b still lists both blocks");

        PromptBlocks other = PromptBlocks.of(prompt(0, 2 * B + 1, 1));
        SegmentTable c = admit(cache, other, 0);
        cache.publish(c, 2 * B + 1);
        cache.free(c);
        assertEquals(2 * B, cache.stats().unreferencedTokens());
        // 96 slots: b lists 32 cached and owns 1, c's 32 cached are unlisted, 31 are free
        assertTrue(cache.allocate(cache.match(other, 0), 4 * B).isEmpty(), "never fits");
        assertEquals(0, cache.stats().evictedTokens(), "a hopeless allocation evicts nothing");
        SegmentTable d = cache.allocate(cache.match(other, 0), 2 * B + 20).orElseThrow();
        assertEquals(2 * B, cache.stats().evictedTokens(), "c's blocks made room");
        assertEquals(2 * B, cache.match(held, 2 * B).tokens(), "b's blocks stayed");
        cache.free(b);
        cache.free(d);
        cache.clear();
        assertEquals(List.of(new Extent(0, 6 * B)), allocator.freeExtents(), "everything coalesces back");
    }

    @Test
    void aMatchStopsBeforeTheTableWouldHoldTooManyExtents() {
        SegmentAllocator allocator = new SegmentAllocator(81, 3);
        PrefixCache cache = PrefixCache.on(allocator);
        SegmentTable first = allocator.allocate(20).orElseThrow();
        SegmentTable gap = allocator.allocate(1).orElseThrow();
        SegmentTable third = allocator.allocate(30).orElseThrow();
        allocator.allocate(1).orElseThrow();
        allocator.free(first);
        allocator.free(third);
        // a 64-token text scored whole: largest free runs first, [21, 51), [52, 81), [0, 5)
        PromptBlocks text = PromptBlocks.of(prompt(4 * B, 4 * B, 0));
        SegmentTable a = cache.allocate(cache.match(text, 0), 4 * B).orElseThrow();
        cache.publish(a, 4 * B);
        assertEquals(List.of(new Extent(21, 30), new Extent(52, 29), new Extent(0, 5)), a.extents());
        assertEquals(4 * B, a.sharedTokens());

        PrefixCache.Match match = cache.match(text, 4 * B);
        assertEquals(3 * B, match.tokens(), "block 3 would need a third shared extent, leaving none of its own");
        allocator.free(gap);
        SegmentTable b = cache.allocate(match, B).orElseThrow();
        assertEquals(List.of(new Extent(21, 30), new Extent(52, 18), new Extent(5, 16)), b.extents());
    }

    @Test
    void offMatchesAndPublishesNothing() {
        SegmentAllocator allocator = new SegmentAllocator(200, 4);
        PrefixCache cache = PrefixCache.off(allocator);
        PromptBlocks prompt = PromptBlocks.of(prompt(40, 40, 0));
        SegmentTable a = admit(cache, prompt, 0);
        cache.publish(a, 40);
        assertEquals(0, a.sharedTokens());
        assertEquals(0, cache.match(prompt, 39).tokens());
        assertFalse(cache.match(prompt, 39).waits());
        cache.free(a);
        assertEquals(PrefixCacheStats.NONE, cache.stats());
        assertEquals(List.of(new Extent(0, 200)), allocator.freeExtents());
    }
}
