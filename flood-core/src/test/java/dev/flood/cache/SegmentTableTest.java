package dev.flood.cache;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SegmentTableTest {

    @Test
    void slotMapsTokensAcrossExtentBoundaries() {
        SegmentTable table = threeExtentTable();
        assertEquals(List.of(new Extent(25, 20), new Extent(0, 10), new Extent(15, 3)), table.extents());
        assertEquals(3, table.numExtents());
        assertEquals(25, table.slot(0));
        assertEquals(44, table.slot(19));
        assertEquals(0, table.slot(20));
        assertEquals(9, table.slot(29));
        assertEquals(15, table.slot(30));
        assertEquals(17, table.slot(32));
    }

    @Test
    void slotsWritesARangeSpanningAllExtents() {
        SegmentTable table = threeExtentTable();
        int[] out = new int[17];
        Arrays.fill(out, -5);
        table.slots(18, 14, out, 2);
        int[] expected = {-5, -5, 43, 44, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, -5};
        assertArrayEquals(expected, out);
    }

    @Test
    void slotsAgreesWithSlotForEveryToken() {
        SegmentTable table = threeExtentTable();
        int[] all = new int[table.capacityTokens()];
        table.slots(0, all.length, all, 0);
        for (int token = 0; token < all.length; token++) {
            assertEquals(table.slot(token), all[token], "token " + token);
        }
    }

    @Test
    void slotsOfAnEmptyRangeWritesNothing() {
        SegmentTable table = threeExtentTable();
        int[] out = {7, 7};
        table.slots(33, 0, out, 2);
        assertArrayEquals(new int[]{7, 7}, out);
    }

    @Test
    void growInPlaceKeepsTheMappingOfEarlierTokens() {
        SegmentAllocator allocator = new SegmentAllocator(19, 2);
        SegmentTable table = allocator.allocate(7).orElseThrow();
        allocator.grow(table, 5);
        assertEquals(1, table.numExtents());
        assertEquals(6, table.slot(6));
        assertEquals(11, table.slot(11));
    }

    @Test
    void outOfRangeTokensAreRejected() {
        SegmentTable table = threeExtentTable();
        assertEquals("token index 33 outside the table's 33 slots",
                assertThrows(IndexOutOfBoundsException.class, () -> table.slot(33)).getMessage());
        assertEquals("token index -1 outside the table's 33 slots",
                assertThrows(IndexOutOfBoundsException.class, () -> table.slot(-1)).getMessage());
        int[] out = new int[40];
        assertEquals("token range [30, 30 + 4) outside the table's 33 slots",
                assertThrows(IndexOutOfBoundsException.class, () -> table.slots(30, 4, out, 0)).getMessage());
        assertEquals("output range [38, 38 + 3) outside an array of length 40",
                assertThrows(IndexOutOfBoundsException.class, () -> table.slots(0, 3, out, 38)).getMessage());
        assertEquals("token range [-2, -2 + 3) outside the table's 33 slots",
                assertThrows(IndexOutOfBoundsException.class, () -> table.slots(-2, 3, out, 0)).getMessage());
    }

    @Test
    void extentsViewIsReadOnly() {
        SegmentTable table = threeExtentTable();
        assertThrows(UnsupportedOperationException.class, () -> table.extents().clear());
    }

    @Test
    void extentValidatesItsFields() {
        assertEquals("extent start must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> new Extent(-1, 3)).getMessage());
        assertEquals("extent length must be >= 1, got 0 (start 5)",
                assertThrows(IllegalArgumentException.class, () -> new Extent(5, 0)).getMessage());
        assertEquals("extent [2147483000, 2147483000 + 1000) ends past Integer.MAX_VALUE",
                assertThrows(IllegalArgumentException.class, () -> new Extent(2147483000, 1000)).getMessage());
        assertEquals(26, new Extent(19, 7).end());
    }

    /** Extents [25, 45), [0, 10), [15, 18): 33 tokens taken largest hole first from holes of 20, 10 and 7. */
    private static SegmentTable threeExtentTable() {
        SegmentAllocator allocator = new SegmentAllocator(111, 3);
        SegmentTable a = allocator.allocate(10).orElseThrow();
        allocator.allocate(5).orElseThrow();
        SegmentTable c = allocator.allocate(7).orElseThrow();
        allocator.allocate(3).orElseThrow();
        SegmentTable e = allocator.allocate(20).orElseThrow();
        allocator.allocate(66).orElseThrow();
        allocator.free(a);
        allocator.free(c);
        allocator.free(e);
        return allocator.allocate(33).orElseThrow();
    }
}
