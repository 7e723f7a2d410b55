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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random sequences of allocate, grow and free, each checked against a brute-force recount of slot ownership. Every
 * sequence draws a fresh seed, printed with any failure; calling {@code runSequence(seed, capacityTokens)} replays
 * that sequence.
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
        List<int[]> mappings = List.of();
        for (int step = 0; step < OPERATIONS; step++) {
            int choice = random.nextInt(20);
            String operation;
            if (choice < 9 || tables.isEmpty()) {
                int tokens = randomTokens(random, capacityTokens);
                operation = "allocate(" + tokens + ")";
                checkAllocate(allocator, tables, tokens);
            } else if (choice < 15) {
                int index = random.nextInt(tables.size());
                int tokens = randomTokens(random, Math.max(1, capacityTokens / 3));
                operation = "grow(" + tables.get(index) + ", " + tokens + ")";
                checkGrow(allocator, tables.get(index), mappings.get(index), tokens);
            } else {
                int index = random.nextInt(tables.size());
                operation = "free(" + tables.get(index) + ")";
                allocator.free(tables.remove(index));
            }
            String context = "step " + step + " " + operation + ", maxExtentsPerRequest " + maxExtentsPerRequest;
            mappings = checkInvariants(allocator, tables, context);
        }
        while (!tables.isEmpty()) {
            allocator.free(tables.remove(random.nextInt(tables.size())));
            checkInvariants(allocator, tables, "freeing all, " + tables.size() + " left");
        }
        assertEquals(List.of(new Extent(0, capacityTokens)), allocator.freeExtents());
        assertEquals(new CacheStats(capacityTokens, 0, capacityTokens, capacityTokens, 1, 0, 0.0, 0),
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

    /** Allocation succeeds exactly when a single free extent or the largest few cover the tokens, as specified. */
    private static void checkAllocate(SegmentAllocator allocator, List<SegmentTable> tables, int tokens) {
        List<Extent> free = allocator.freeExtents();
        CacheStats statsBefore = allocator.stats();
        Optional<Extent> bestFit = free.stream().filter(e -> e.length() >= tokens)
                .min(Comparator.comparingInt(Extent::length).thenComparingInt(Extent::start));
        int piecesNeeded = piecesNeeded(free, tokens);
        boolean fits = bestFit.isPresent() || piecesNeeded <= allocator.maxExtentsPerRequest();
        assertEquals(fits, allocator.canAllocate(tokens), "canAllocate(" + tokens + ") with free " + free);
        Optional<SegmentTable> table = allocator.allocate(tokens);
        assertEquals(fits, table.isPresent(), "allocate(" + tokens + ") with free " + free);
        if (table.isEmpty()) {
            assertEquals(free, allocator.freeExtents(), "failed allocate changed the free extents");
            assertEquals(statsBefore, allocator.stats(), "failed allocate changed the stats");
            return;
        }
        if (bestFit.isPresent()) {
            assertEquals(List.of(new Extent(bestFit.get().start(), tokens)), table.get().extents(), "best fit");
        } else {
            assertEquals(piecesNeeded, table.get().numExtents(), "largest-first extents " + table.get());
        }
        tables.add(table.get());
    }

    /** Growth keeps existing slots, and succeeds exactly when the in-place run plus new extents cover the tokens. */
    private static void checkGrow(SegmentAllocator allocator, SegmentTable table, int[] mapping, int tokens) {
        List<Extent> free = allocator.freeExtents();
        CacheStats statsBefore = allocator.stats();
        List<Extent> extentsBefore = List.copyOf(table.extents());
        int lastEnd = table.extents().get(table.numExtents() - 1).end();
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
     * Recounts everything from slot ownership: live extents never overlap, free extents are exactly the maximal
     * runs of unowned slots (so never adjacent), and the stats match. Returns each table's slots, in table order.
     */
    private static List<int[]> checkInvariants(SegmentAllocator allocator, List<SegmentTable> tables,
                                               String context) {
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
            for (int token = 0; token < mapping.length; token++) {
                int slot = mapping[token];
                if (slot != table.slot(token)) {
                    fail(context + ": token " + token + " of " + table + " in slot " + table.slot(token)
                            + " but slots() says " + slot);
                }
                if (slot < 0 || slot >= capacity) {
                    fail(context + ": slot " + slot + " outside the slab");
                }
                if (owner[slot] != -1) {
                    fail(context + ": slot " + slot + " held by " + tables.get(owner[slot]) + " and " + table);
                }
                owner[slot] = t;
            }
            mappings.add(mapping);
            usedTokens += held;
            totalExtents += table.numExtents();
            maxExtents = Math.max(maxExtents, table.numExtents());
        }
        List<Extent> freeRuns = new ArrayList<>();
        for (int slot = 0; slot < capacity; slot++) {
            if (owner[slot] == -1) {
                int start = slot;
                while (slot + 1 < capacity && owner[slot + 1] == -1) {
                    slot++;
                }
                freeRuns.add(new Extent(start, slot + 1 - start));
            }
        }
        List<Extent> free = allocator.freeExtents();
        assertEquals(freeRuns, free, context + ": free extents vs unowned slots");
        for (int i = 1; i < free.size(); i++) {
            assertTrue(free.get(i - 1).end() < free.get(i).start(), context + ": free extents touch " + free);
        }
        int largestFree = freeRuns.stream().mapToInt(Extent::length).max().orElse(0);
        // Compared exactly: the allocator's mean is the same single int-over-int division.
        double meanExtents = tables.isEmpty() ? 0 : (double) totalExtents / tables.size();
        CacheStats expected = new CacheStats(capacity, usedTokens, capacity - usedTokens, largestFree,
                freeRuns.size(), tables.size(), meanExtents, maxExtents);
        assertEquals(expected, allocator.stats(), context + ": stats vs recount");
        assertEquals(capacity, allocator.stats().usedTokens() + allocator.freeTokens(), context);
        return mappings;
    }
}
