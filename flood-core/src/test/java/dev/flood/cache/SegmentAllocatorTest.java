package dev.flood.cache;

import dev.flood.api.CacheStats;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentAllocatorTest {

    @Test
    void exactFitTakesTheWholeSlab() {
        SegmentAllocator allocator = new SegmentAllocator(19, 3);
        SegmentTable table = allocator.allocate(19).orElseThrow();
        assertEquals(List.of(new Extent(0, 19)), table.extents());
        assertEquals(19, table.capacityTokens());
        assertEquals(0, allocator.freeTokens());
        assertEquals(new CacheStats(19, 19, 0, 0, 0, 0, 0, 1, 1.0, 1), allocator.stats());
        assertFalse(allocator.canAllocate(1));
        assertTrue(allocator.allocate(1).isEmpty());
    }

    @Test
    void exactFitFillsAHoleWithoutSplitting() {
        SegmentAllocator allocator = new SegmentAllocator(19, 1);
        SegmentTable first = allocator.allocate(7).orElseThrow();
        allocator.allocate(12).orElseThrow();
        allocator.free(first);
        SegmentTable refill = allocator.allocate(7).orElseThrow();
        assertEquals(List.of(new Extent(0, 7)), refill.extents());
        assertEquals(List.of(), allocator.freeExtents());
    }

    @Test
    void bestFitPicksTheSmallestHoleThatHoldsTheTokens() {
        SegmentAllocator allocator = fragmented(4);
        // Holes: [0, 10), [15, 22), [25, 45).
        SegmentTable six = allocator.allocate(6).orElseThrow();
        assertEquals(List.of(new Extent(15, 6)), six.extents());
        SegmentTable eight = allocator.allocate(8).orElseThrow();
        assertEquals(List.of(new Extent(0, 8)), eight.extents());
        SegmentTable eleven = allocator.allocate(11).orElseThrow();
        assertEquals(List.of(new Extent(25, 11)), eleven.extents());
    }

    @Test
    void bestFitBreaksTiesByLowestStart() {
        SegmentAllocator allocator = new SegmentAllocator(23, 2);
        SegmentTable a = allocator.allocate(5).orElseThrow();
        allocator.allocate(3).orElseThrow();
        SegmentTable c = allocator.allocate(5).orElseThrow();
        allocator.allocate(10).orElseThrow();
        allocator.free(c);
        allocator.free(a);
        assertEquals(List.of(new Extent(0, 4)), allocator.allocate(4).orElseThrow().extents());
        assertEquals(List.of(new Extent(4, 1)), allocator.allocate(1).orElseThrow().extents());
        assertEquals(List.of(new Extent(8, 5)), allocator.allocate(5).orElseThrow().extents());
    }

    @Test
    void splittingLeavesTheTailOfTheHoleFree() {
        SegmentAllocator allocator = fragmented(4);
        allocator.allocate(4).orElseThrow();
        assertEquals(List.of(new Extent(0, 10), new Extent(19, 3), new Extent(25, 20)), allocator.freeExtents());
        assertEquals(37 - 4, allocator.freeTokens());
    }

    @Test
    void fragmentedSpaceIsTakenLargestFirstWithTheLastPieceSplit() {
        SegmentAllocator allocator = fragmented(3);
        assertTrue(allocator.canAllocate(33));
        SegmentTable table = allocator.allocate(33).orElseThrow();
        assertEquals(List.of(new Extent(25, 20), new Extent(0, 10), new Extent(15, 3)), table.extents());
        assertEquals(33, table.capacityTokens());
        assertEquals(List.of(new Extent(18, 4)), allocator.freeExtents());
        CacheStats stats = allocator.stats();
        assertEquals(3, stats.maxExtentsPerRequest());
        assertEquals(4, stats.largestFreeExtent());
    }

    @Test
    void allocationNeedingTooManyExtentsFailsAndChangesNothing() {
        SegmentAllocator allocator = fragmented(2);
        List<Extent> freeBefore = allocator.freeExtents();
        CacheStats statsBefore = allocator.stats();
        // 33 tokens need the three holes 20 + 10 + 3, one more than allowed; 30 fit in the two largest.
        assertFalse(allocator.canAllocate(33));
        assertTrue(allocator.allocate(33).isEmpty());
        assertEquals(freeBefore, allocator.freeExtents());
        assertEquals(statsBefore, allocator.stats());
        SegmentTable thirty = allocator.allocate(30).orElseThrow();
        assertEquals(List.of(new Extent(25, 20), new Extent(0, 10)), thirty.extents());
    }

    @Test
    void allocationLargerThanTheFreeSpaceFails() {
        SegmentAllocator allocator = new SegmentAllocator(111, 8);
        allocator.allocate(100).orElseThrow();
        assertFalse(allocator.canAllocate(12));
        assertTrue(allocator.allocate(12).isEmpty());
        assertTrue(allocator.allocate(112).isEmpty());
        assertEquals(11, allocator.freeTokens());
    }

    @Test
    void growExtendsTheLastExtentInPlace() {
        SegmentAllocator allocator = new SegmentAllocator(19, 2);
        SegmentTable table = allocator.allocate(5).orElseThrow();
        assertTrue(allocator.grow(table, 3));
        assertEquals(List.of(new Extent(0, 8)), table.extents());
        assertEquals(8, table.capacityTokens());
        assertEquals(List.of(new Extent(8, 11)), allocator.freeExtents());
        assertTrue(allocator.grow(table, 11));
        assertEquals(List.of(new Extent(0, 19)), table.extents());
        assertEquals(List.of(), allocator.freeExtents());
    }

    @Test
    void growAddsABestFitExtentWhenTheNextSlotIsTaken() {
        SegmentAllocator allocator = new SegmentAllocator(30, 3);
        SegmentTable a = allocator.allocate(5).orElseThrow();
        SegmentTable b = allocator.allocate(3).orElseThrow();
        allocator.allocate(10).orElseThrow();
        assertTrue(allocator.grow(a, 4));
        assertEquals(List.of(new Extent(0, 5), new Extent(18, 4)), a.extents());
        assertEquals(List.of(new Extent(22, 8)), allocator.freeExtents());
        assertEquals(List.of(new Extent(5, 3)), b.extents());
        assertEquals(2, allocator.stats().maxExtentsPerRequest());
    }

    @Test
    void growExtendsInPlaceAsFarAsPossibleThenAddsAnExtent() {
        SegmentAllocator allocator = new SegmentAllocator(30, 2);
        SegmentTable a = allocator.allocate(5).orElseThrow();
        SegmentTable b = allocator.allocate(3).orElseThrow();
        allocator.allocate(10).orElseThrow();
        allocator.free(b);
        // Three free slots [5, 8) follow a; the other four come from the tail [18, 30).
        assertTrue(allocator.grow(a, 7));
        assertEquals(List.of(new Extent(0, 8), new Extent(18, 4)), a.extents());
        assertEquals(12, a.capacityTokens());
        assertEquals(List.of(new Extent(22, 8)), allocator.freeExtents());
    }

    @Test
    void growFailureLeavesEverythingUnchanged() {
        SegmentAllocator allocator = new SegmentAllocator(30, 2);
        SegmentTable a = allocator.allocate(5).orElseThrow();
        SegmentTable b = allocator.allocate(3).orElseThrow();
        allocator.allocate(10).orElseThrow();
        allocator.free(b);
        List<Extent> freeBefore = allocator.freeExtents();
        CacheStats statsBefore = allocator.stats();
        // 3 in place + 12 in the tail = 15 free; 16 cannot fit.
        assertFalse(allocator.grow(a, 16));
        assertEquals(List.of(new Extent(0, 5)), a.extents());
        assertEquals(5, a.capacityTokens());
        assertEquals(freeBefore, allocator.freeExtents());
        assertEquals(statsBefore, allocator.stats());
    }

    @Test
    void growRespectsMaxExtentsPerRequest() {
        SegmentAllocator allocator = new SegmentAllocator(19, 1);
        SegmentTable a = allocator.allocate(5).orElseThrow();
        allocator.allocate(3).orElseThrow();
        List<Extent> freeBefore = allocator.freeExtents();
        // Eleven slots are free, but not next to a, and a may not hold a second extent.
        assertFalse(allocator.grow(a, 2));
        assertEquals(List.of(new Extent(0, 5)), a.extents());
        assertEquals(freeBefore, allocator.freeExtents());
    }

    @Test
    void freeCoalescesWithTheFreeExtentAfter() {
        SegmentTable[] tables = new SegmentTable[4];
        SegmentAllocator allocator = filled(tables);
        allocator.free(tables[1]);
        assertEquals(List.of(new Extent(3, 5)), allocator.freeExtents());
        allocator.free(tables[0]);
        assertEquals(List.of(new Extent(0, 8)), allocator.freeExtents());
    }

    @Test
    void freeCoalescesWithTheFreeExtentBefore() {
        SegmentTable[] tables = new SegmentTable[4];
        SegmentAllocator allocator = filled(tables);
        allocator.free(tables[2]);
        allocator.free(tables[3]);
        assertEquals(List.of(new Extent(8, 11)), allocator.freeExtents());
    }

    @Test
    void freeCoalescesOnBothSides() {
        SegmentTable[] tables = new SegmentTable[4];
        SegmentAllocator allocator = filled(tables);
        allocator.free(tables[0]);
        allocator.free(tables[2]);
        assertEquals(List.of(new Extent(0, 3), new Extent(8, 4)), allocator.freeExtents());
        allocator.free(tables[1]);
        assertEquals(List.of(new Extent(0, 12)), allocator.freeExtents());
        assertEquals(new CacheStats(19, 7, 0, 12, 12, 1, 0, 1, 1.0, 1), allocator.stats());
    }

    @Test
    void freeOfAMultiExtentTableCoalescesEachExtent() {
        SegmentAllocator allocator = fragmented(3);
        SegmentTable table = allocator.allocate(33).orElseThrow();
        allocator.free(table);
        assertEquals(List.of(new Extent(0, 10), new Extent(15, 7), new Extent(25, 20)), allocator.freeExtents());
        assertEquals(0, table.capacityTokens());
        assertEquals(List.of(), table.extents());
    }

    @Test
    void statsCountExtentsPerRequest() {
        SegmentAllocator allocator = fragmented(3);
        // Live before: [10, 15), [22, 25), [45, 49), [49, 111): four one-extent tables.
        allocator.allocate(33).orElseThrow();
        CacheStats stats = allocator.stats();
        assertEquals(5, stats.requests());
        assertEquals((4 + 3) / 5.0, stats.meanExtentsPerRequest(), 0.0,
                "exact: the allocator performs the same single division");
        assertEquals(3, stats.maxExtentsPerRequest());
        assertEquals(111 - 4, stats.usedTokens());
        assertEquals(1, stats.freeExtents());
    }

    @Test
    void emptyAllocatorReportsOneFreeExtent() {
        SegmentAllocator allocator = new SegmentAllocator(111, 4);
        assertEquals(new CacheStats(111, 0, 0, 111, 111, 1, 0, 0, 0.0, 0), allocator.stats());
        assertEquals(111, allocator.capacityTokens());
        assertEquals(4, allocator.maxExtentsPerRequest());
    }

    @Test
    void invalidArgumentsAreRejectedWithTheValue() {
        assertEquals("capacityTokens must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new SegmentAllocator(0, 4)).getMessage());
        assertEquals("maxExtentsPerRequest must be >= 1, got -3",
                assertThrows(IllegalArgumentException.class, () -> new SegmentAllocator(19, -3)).getMessage());
        SegmentAllocator allocator = new SegmentAllocator(19, 4);
        assertEquals("tokens must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> allocator.allocate(0)).getMessage());
        assertEquals("tokens must be >= 1, got -7",
                assertThrows(IllegalArgumentException.class, () -> allocator.canAllocate(-7)).getMessage());
        SegmentTable table = allocator.allocate(3).orElseThrow();
        assertEquals("additionalTokens must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> allocator.grow(table, 0)).getMessage());
        assertEquals(16, allocator.freeTokens());
    }

    @Test
    void doubleFreeIsAnError() {
        SegmentAllocator allocator = new SegmentAllocator(19, 4);
        SegmentTable table = allocator.allocate(5).orElseThrow();
        allocator.free(table);
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> allocator.free(table));
        assertEquals("cannot free a table that was already freed", error.getMessage());
        assertEquals(List.of(new Extent(0, 19)), allocator.freeExtents());
        assertEquals("cannot grow a table that was already freed",
                assertThrows(IllegalStateException.class, () -> allocator.grow(table, 1)).getMessage());
    }

    @Test
    void tableFromAnotherAllocatorIsAnError() {
        SegmentAllocator mine = new SegmentAllocator(19, 4);
        SegmentAllocator other = new SegmentAllocator(19, 4);
        SegmentTable foreign = other.allocate(5).orElseThrow();
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> mine.free(foreign));
        assertEquals("cannot free SegmentTable[Extent[start=0, length=5]]: it belongs to another allocator",
                error.getMessage());
        assertEquals("cannot grow SegmentTable[Extent[start=0, length=5]]: it belongs to another allocator",
                assertThrows(IllegalStateException.class, () -> mine.grow(foreign, 2)).getMessage());
        assertEquals(19, mine.freeTokens());
        assertEquals(14, other.freeTokens());
    }

    /**
     * Capacity 111 with live tables [10, 15), [22, 25), [45, 49), [49, 111) and free holes [0, 10), [15, 22),
     * [25, 45): 37 free slots in holes of 10, 7 and 20.
     */
    private static SegmentAllocator fragmented(int maxExtentsPerRequest) {
        SegmentAllocator allocator = new SegmentAllocator(111, maxExtentsPerRequest);
        SegmentTable a = allocator.allocate(10).orElseThrow();
        allocator.allocate(5).orElseThrow();
        SegmentTable c = allocator.allocate(7).orElseThrow();
        allocator.allocate(3).orElseThrow();
        SegmentTable e = allocator.allocate(20).orElseThrow();
        allocator.allocate(4).orElseThrow();
        allocator.allocate(62).orElseThrow();
        allocator.free(a);
        allocator.free(c);
        allocator.free(e);
        assertEquals(List.of(new Extent(0, 10), new Extent(15, 7), new Extent(25, 20)), allocator.freeExtents());
        return allocator;
    }

    /** Capacity 19 filled by tables [0, 3), [3, 8), [8, 12), [12, 19), written to {@code tables}. */
    private static SegmentAllocator filled(SegmentTable[] tables) {
        SegmentAllocator allocator = new SegmentAllocator(19, 1);
        int[] lengths = {3, 5, 4, 7};
        for (int i = 0; i < lengths.length; i++) {
            tables[i] = allocator.allocate(lengths[i]).orElseThrow();
        }
        assertEquals(List.of(), allocator.freeExtents());
        return allocator;
    }
}
