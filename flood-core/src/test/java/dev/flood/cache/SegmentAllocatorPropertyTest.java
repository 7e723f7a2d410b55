package dev.flood.cache;

import dev.flood.api.CacheStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random sequences of allocate, grow, free, share (a table hands its first own slots to the cache), allocate after
 * shared extents and release of cached space, each checked against a brute-force recount of every slot's state:
 * owned by one table, cached (and listed read-only by how many tables), or free. The test releases only cached
 * slots no live table lists, as the prefix cache does, and checks that no operation ever frees a slot a live table
 * lists. Every sequence draws a fresh seed, printed with any failure; calling {@code runSequence(seed,
 * capacityTokens)} replays that sequence.
 */
class SegmentAllocatorPropertyTest {

    private static final int SEQUENCES = 60;
    private static final int OPERATIONS = 250;

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111, 4096})
    void randomOperationsKeepTheInvariants(int capacityTokens) {
        for (int sequence = 0; sequence < SEQUENCES; sequence++) {
            long seed = ThreadLocalRandom.current().nextLong();
            try {
                runSequence(seed, capacityTokens);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ", capacityTokens " + capacityTokens + ": " + e, e);
            }
        }
    }

    private static void runSequence(long seed, int capacityTokens) {
        Random random = new Random(seed);
        int maxExtentsPerRequest = 1 + random.nextInt(4);
        SegmentAllocator allocator = new SegmentAllocator(capacityTokens, maxExtentsPerRequest);
        List<SegmentTable> tables = new ArrayList<>();
        boolean[] cached = new boolean[capacityTokens];
        List<int[]> mappings = List.of();
        for (int step = 0; step < OPERATIONS; step++) {
            int choice = random.nextInt(30);
            String operation;
            if (choice < 9 || tables.isEmpty()) {
                int tokens = randomTokens(random, capacityTokens);
                operation = "allocate(" + tokens + ")";
                checkAllocate(allocator, tables, List.of(), tokens);
            } else if (choice < 15) {
                int index = random.nextInt(tables.size());
                int tokens = randomTokens(random, Math.max(1, capacityTokens / 3));
                operation = "grow(" + tables.get(index) + ", " + tokens + ")";
                checkGrow(allocator, tables.get(index), mappings.get(index), tokens);
            } else if (choice < 19) {
                int index = random.nextInt(tables.size());
                operation = "free(" + tables.get(index) + ")";
                allocator.free(tables.remove(index));
            } else if (choice < 23) {
                int index = random.nextInt(tables.size());
                SegmentTable table = tables.get(index);
                int owned = table.capacityTokens() - table.sharedTokens();
                int tokens = owned == 0 ? 1 : 1 + random.nextInt(owned);
                operation = "share(" + table + ", " + tokens + ")";
                checkShare(allocator, table, mappings.get(index), tokens, cached);
            } else if (choice < 27) {
                SegmentTable source = tables.get(random.nextInt(tables.size()));
                List<Extent> shared = source.extents().subList(0, random.nextInt(source.numSharedExtents() + 1));
                int tokens = randomTokens(random, Math.max(1, capacityTokens / 4));
                operation = "allocate(" + shared + ", " + tokens + ")";
                checkAllocate(allocator, tables, shared, tokens);
            } else {
                operation = "releaseCached";
                checkReleaseCached(allocator, tables, cached, random);
            }
            String context = "step " + step + " " + operation + ", maxExtentsPerRequest " + maxExtentsPerRequest;
            mappings = checkInvariants(allocator, tables, cached, context);
        }
        while (!tables.isEmpty()) {
            allocator.free(tables.remove(random.nextInt(tables.size())));
            checkInvariants(allocator, tables, cached, "freeing all, " + tables.size() + " left");
        }
        for (Extent run : allocator.cachedExtents()) {
            allocator.releaseCached(run);
            markCached(cached, run, false);
            checkInvariants(allocator, tables, cached, "releasing the cached " + run);
        }
        assertEquals(List.of(new Extent(0, capacityTokens)), allocator.freeExtents());
        assertEquals(new CacheStats(capacityTokens, 0, 0, capacityTokens, capacityTokens, 1, 0, 0, 0.0, 0),
                allocator.stats());
    }

    /** Mostly small requests so that many tables live at once, with 1, near-capacity and too-large sizes mixed in. */
    private static int randomTokens(Random random, int limit) {
        return switch (random.nextInt(8)) {
            case 0 -> 1;
            case 1 -> limit - random.nextInt(Math.min(3, limit));
            case 2 -> limit + 1 + random.nextInt(3);
            default -> 1 + random.nextInt(Math.max(1, limit / 8));
        };
    }

    /**
     * Allocation succeeds exactly when a single free extent or the largest few cover the tokens, within the extents
     * the shared ones leave, as specified; the new table lists the shared extents first.
     */
    private static void checkAllocate(SegmentAllocator allocator, List<SegmentTable> tables, List<Extent> shared,
                                      int tokens) {
        List<Extent> free = allocator.freeExtents();
        CacheStats statsBefore = allocator.stats();
        Optional<Extent> bestFit = free.stream().filter(e -> e.length() >= tokens)
                .min(Comparator.comparingInt(Extent::length).thenComparingInt(Extent::start));
        int piecesNeeded = piecesNeeded(free, tokens);
        int piecesAllowed = allocator.maxExtentsPerRequest() - shared.size();
        boolean fits = piecesAllowed >= 1 && (bestFit.isPresent() || piecesNeeded <= piecesAllowed);
        if (shared.isEmpty()) {
            assertEquals(fits, allocator.canAllocate(tokens), "canAllocate(" + tokens + ") with free " + free);
        }
        Optional<SegmentTable> table = allocator.allocate(shared, tokens);
        assertEquals(fits, table.isPresent(), "allocate(" + shared + ", " + tokens + ") with free " + free);
        if (table.isEmpty()) {
            assertEquals(free, allocator.freeExtents(), "failed allocate changed the free extents");
            assertEquals(statsBefore, allocator.stats(), "failed allocate changed the stats");
            return;
        }
        List<Extent> owned = table.get().extents().subList(shared.size(), table.get().numExtents());
        assertEquals(shared, table.get().extents().subList(0, shared.size()), "shared extents first");
        assertEquals(shared.size(), table.get().numSharedExtents());
        if (bestFit.isPresent()) {
            assertEquals(List.of(new Extent(bestFit.get().start(), tokens)), owned, "best fit");
        } else {
            assertEquals(piecesNeeded, owned.size(), "largest-first extents " + table.get());
        }
        tables.add(table.get());
    }

    /**
     * Sharing moves the boundary without moving a slot: the first own slots become cached and listed read-only,
     * and the table fails, unchanged, exactly when the merged shared runs plus the remaining own extents would
     * exceed the limit.
     */
    private static void checkShare(SegmentAllocator allocator, SegmentTable table, int[] mapping, int tokens,
                                   boolean[] cached) {
        int owned = table.capacityTokens() - table.sharedTokens();
        if (owned == 0) {
            assertThrows(IllegalArgumentException.class, () -> allocator.share(table, tokens));
            return;
        }
        List<Extent> extentsBefore = List.copyOf(table.extents());
        CacheStats statsBefore = allocator.stats();
        int sharedAfter = table.sharedTokens() + tokens;
        int ownExtentsLeft = 0;
        int start = 0;
        for (Extent e : table.extents()) {
            ownExtentsLeft += start + e.length() > sharedAfter ? 1 : 0;
            start += e.length();
        }
        int expectedExtents = runs(mapping, 0, sharedAfter) + ownExtentsLeft;
        Optional<List<Extent>> pieces = allocator.share(table, tokens);
        assertEquals(expectedExtents <= allocator.maxExtentsPerRequest(), pieces.isPresent(),
                "share(" + tokens + ") of " + extentsBefore + " needs " + expectedExtents + " extents");
        if (pieces.isEmpty()) {
            assertEquals(extentsBefore, table.extents(), "failed share changed the table");
            assertEquals(statsBefore, allocator.stats(), "failed share changed the stats");
            return;
        }
        int[] after = new int[table.capacityTokens()];
        table.slots(0, after.length, after, 0);
        assertArrayEquals(mapping, after, "share moved slots");
        assertEquals(sharedAfter, table.sharedTokens());
        assertEquals(expectedExtents, table.numExtents(), "extents after share " + table);
        int next = sharedAfter - tokens;
        for (Extent piece : pieces.get()) {
            for (int slot = piece.start(); slot < piece.end(); slot++) {
                assertEquals(mapping[next++], slot, "shared pieces in token order: " + pieces.get());
            }
            markCached(cached, piece, true);
        }
        assertEquals(sharedAfter, next, "shared pieces hold the tokens shared");
    }

    /**
     * Releases a random part of a cached run that no live table lists, as the prefix cache evicts; releasing a
     * slot that is not cached is refused.
     */
    private static void checkReleaseCached(SegmentAllocator allocator, List<SegmentTable> tables, boolean[] cached,
                                           Random random) {
        boolean[] listed = new boolean[cached.length];
        for (SegmentTable table : tables) {
            for (int token = 0; token < table.sharedTokens(); token++) {
                listed[table.slot(token)] = true;
            }
        }
        List<Extent> unlisted = new ArrayList<>();
        for (int slot = 0; slot < cached.length; slot++) {
            if (cached[slot] && !listed[slot]) {
                int start = slot;
                while (slot + 1 < cached.length && cached[slot + 1] && !listed[slot + 1]) {
                    slot++;
                }
                unlisted.add(new Extent(start, slot + 1 - start));
            }
        }
        for (int slot = 0; slot < cached.length; slot++) {
            if (!cached[slot]) {
                Extent notCached = new Extent(slot, 1);
                assertThrows(IllegalArgumentException.class, () -> allocator.releaseCached(notCached));
                break;
            }
        }
        if (unlisted.isEmpty()) {
            return;
        }
        Extent run = unlisted.get(random.nextInt(unlisted.size()));
        int offset = random.nextInt(run.length());
        Extent part = new Extent(run.start() + offset, 1 + random.nextInt(run.length() - offset));
        allocator.releaseCached(part);
        markCached(cached, part, false);
    }

    private static void markCached(boolean[] cached, Extent extent, boolean value) {
        for (int slot = extent.start(); slot < extent.end(); slot++) {
            cached[slot] = value;
        }
    }

    /** Maximal runs of consecutive slots among {@code mapping[from .. to)}. */
    private static int runs(int[] mapping, int from, int to) {
        int runs = 0;
        for (int i = from; i < to; i++) {
            runs += i == from || mapping[i] != mapping[i - 1] + 1 ? 1 : 0;
        }
        return runs;
    }

    /** Growth keeps existing slots, and succeeds exactly when the in-place run plus new extents cover the tokens. */
    private static void checkGrow(SegmentAllocator allocator, SegmentTable table, int[] mapping, int tokens) {
        List<Extent> free = allocator.freeExtents();
        CacheStats statsBefore = allocator.stats();
        List<Extent> extentsBefore = List.copyOf(table.extents());
        boolean ownsLast = table.numSharedExtents() < table.numExtents();
        int lastEnd = ownsLast ? table.extents().get(table.numExtents() - 1).end() : -1;
        int inPlace = free.stream().filter(e -> e.start() == lastEnd).mapToInt(Extent::length).sum();
        List<Extent> others = free.stream().filter(e -> e.start() != lastEnd).toList();
        int rest = tokens - inPlace;
        int newExtentsAllowed = allocator.maxExtentsPerRequest() - table.numExtents();
        boolean fits = rest <= 0
                || (newExtentsAllowed >= 1 && others.stream().anyMatch(e -> e.length() >= rest))
                || piecesNeeded(others, rest) <= newExtentsAllowed;
        boolean grown = allocator.grow(table, tokens);
        assertEquals(fits, grown, "grow(" + table + ", " + tokens + ") with free " + free);
        if (!grown) {
            assertEquals(extentsBefore, table.extents(), "failed grow changed the table");
            assertEquals(free, allocator.freeExtents(), "failed grow changed the free extents");
            assertEquals(statsBefore, allocator.stats(), "failed grow changed the stats");
            return;
        }
        assertEquals(mapping.length + tokens, table.capacityTokens(), "capacity after grow");
        int[] prefix = new int[mapping.length];
        table.slots(0, prefix.length, prefix, 0);
        assertArrayEquals(mapping, prefix, "grow moved slots the table already held");
        if (rest <= 0) {
            assertEquals(extentsBefore.size(), table.numExtents(), "in-place grow added an extent");
        }
    }

    /** How many free extents, largest first, cover {@code tokens}; Integer.MAX_VALUE when all of them do not. */
    private static int piecesNeeded(List<Extent> free, int tokens) {
        int[] lengths = free.stream().mapToInt(Extent::length).sorted().toArray();
        int covered = 0;
        for (int i = lengths.length - 1; i >= 0; i--) {
            covered += lengths[i];
            if (covered >= tokens) {
                return lengths.length - i;
            }
        }
        return Integer.MAX_VALUE;
    }

    /**
     * Recounts everything from slot states: own slots belong to one table only and are not cached; every slot a
     * table lists read-only is cached (so was never freed while listed), its shared extents being the maximal runs
     * of those slots; free extents are exactly the maximal runs of slots neither owned nor cached (so never
     * adjacent); cached extents are the maximal runs of cached slots; and the stats match. Returns each table's
     * slots, in table order.
     */
    private static List<int[]> checkInvariants(SegmentAllocator allocator, List<SegmentTable> tables,
                                               boolean[] cached, String context) {
        List<int[]> mappings = new ArrayList<>();
        int capacity = allocator.capacityTokens();
        int[] owner = new int[capacity];
        Arrays.fill(owner, -1);
        int usedTokens = 0;
        int maxExtents = 0;
        int totalExtents = 0;
        for (int t = 0; t < tables.size(); t++) {
            SegmentTable table = tables.get(t);
            int held = table.extents().stream().mapToInt(Extent::length).sum();
            assertEquals(held, table.capacityTokens(), context + ": extents vs capacity of " + table);
            assertEquals(table.extents().size(), table.numExtents(), context);
            assertTrue(table.numExtents() <= allocator.maxExtentsPerRequest(), context + ": too many extents " + table);
            int[] mapping = new int[table.capacityTokens()];
            table.slots(0, mapping.length, mapping, 0);
            assertEquals(runs(mapping, 0, table.sharedTokens()), table.numSharedExtents(),
                    context + ": shared extents of " + table + " are not the maximal runs");
            assertEquals(table.sharedTokens(), table.extents().subList(0, table.numSharedExtents()).stream()
                    .mapToInt(Extent::length).sum(), context + ": shared extents hold the shared tokens");
            for (int token = 0; token < table.sharedTokens(); token++) {
                if (!cached[mapping[token]]) {
                    fail(context + ": token " + token + " of " + table + " reads slot " + mapping[token]
                            + ", which is no longer cached");
                }
            }
            for (int token = table.sharedTokens(); token < mapping.length; token++) {
                int slot = mapping[token];
                if (slot != table.slot(token)) {
                    fail(context + ": token " + token + " of " + table + " in slot " + table.slot(token)
                            + " but slots() says " + slot);
                }
                if (slot < 0 || slot >= capacity) {
                    fail(context + ": slot " + slot + " outside the slab");
                }
                if (owner[slot] != -1 || cached[slot]) {
                    fail(context + ": slot " + slot + " owned by " + table + " and "
                            + (cached[slot] ? "cached" : "owned by " + tables.get(owner[slot])));
                }
                owner[slot] = t;
            }
            mappings.add(mapping);
            usedTokens += held - table.sharedTokens();
            totalExtents += table.numExtents();
            maxExtents = Math.max(maxExtents, table.numExtents());
        }
        boolean[] free = new boolean[capacity];
        int cachedTokens = 0;
        for (int slot = 0; slot < capacity; slot++) {
            free[slot] = owner[slot] == -1 && !cached[slot];
            cachedTokens += cached[slot] ? 1 : 0;
        }
        List<Extent> freeRuns = runsOf(free);
        List<Extent> cachedRuns = runsOf(cached);
        assertEquals(cachedRuns, allocator.cachedExtents(), context + ": cached extents vs cached slots");
        List<Extent> freeExtents = allocator.freeExtents();
        assertEquals(freeRuns, freeExtents, context + ": free extents vs slots neither owned nor cached");
        for (int i = 1; i < freeExtents.size(); i++) {
            assertTrue(freeExtents.get(i - 1).end() < freeExtents.get(i).start(),
                    context + ": free extents touch " + freeExtents);
        }
        int largestFree = freeRuns.stream().mapToInt(Extent::length).max().orElse(0);
        // Compared exactly: the allocator's mean is the same single int-over-int division.
        double meanExtents = tables.isEmpty() ? 0 : (double) totalExtents / tables.size();
        CacheStats expected = new CacheStats(capacity, usedTokens, cachedTokens, capacity - usedTokens - cachedTokens,
                largestFree, freeRuns.size(), cachedRuns.size(), tables.size(), meanExtents, maxExtents);
        assertEquals(expected, allocator.stats(), context + ": stats vs recount");
        assertEquals(capacity, allocator.stats().usedTokens() + allocator.cachedTokens() + allocator.freeTokens(),
                context);
        return mappings;
    }

    /** The maximal runs of slots marked true. */
    private static List<Extent> runsOf(boolean[] marked) {
        List<Extent> runs = new ArrayList<>();
        for (int slot = 0; slot < marked.length; slot++) {
            if (marked[slot]) {
                int start = slot;
                while (slot + 1 < marked.length && marked[slot + 1]) {
                    slot++;
                }
                runs.add(new Extent(start, slot + 1 - start));
            }
        }
        return runs;
    }
}
