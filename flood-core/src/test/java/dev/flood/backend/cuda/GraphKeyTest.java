package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Which steps run as CUDA graphs, and which batch-size bucket each falls in ({@link GraphKey}). */
class GraphKeyTest {

    @Test
    void bucketsArePowersOfTwoThenStepsOf32ThenOf64() {
        int[][] expected = {{1, 1}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {19, 32}, {32, 32}, {33, 64}, {64, 64},
            {65, 96}, {111, 128}, {256, 256}, {257, 320}, {320, 320}, {321, 384}, {1000, 1024}, {1024, 1024},
            {1025, 1088}};
        for (int[] rowsAndBucket : expected) {
            assertEquals(rowsAndBucket[1], GraphKey.bucket(rowsAndBucket[0]), "rows " + rowsAndBucket[0]);
        }
    }

    @Test
    void everyRowCountFitsItsBucketAndBucketsGrowWithRows() {
        int previous = 0;
        TreeSet<Integer> buckets = new TreeSet<>();
        for (int rows = 1; rows <= 4096; rows++) {
            int bucket = GraphKey.bucket(rows);
            assertTrue(bucket >= rows && bucket >= previous, "rows " + rows + " in bucket " + bucket);
            assertEquals(bucket, GraphKey.bucket(bucket), "a bucket is its own bucket: " + bucket);
            previous = bucket;
            buckets.add(bucket);
        }
        // 1..32: 6 powers of two; 64..256: 7 steps of 32; 320..4096: 60 steps of 64
        assertEquals(6 + 7 + 60, buckets.size());
    }

    @Test
    void aStepWithoutRowsHasNoBucket() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GraphKey.bucket(0));
        assertEquals("a step of 0 rows has no bucket", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GraphKey(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new GraphKey(4, -1));
    }

    @Test
    void onlyStepsOfOneTokenPerRequestAreDecodeOnly() {
        assertTrue(GraphKey.isDecodeOnly(AttentionPlanTest.batch(new int[] {1}, new int[] {7})));
        assertTrue(GraphKey.isDecodeOnly(AttentionPlanTest.batch(new int[] {1, 1, 1}, new int[] {1, 300, 19})));
        assertFalse(GraphKey.isDecodeOnly(AttentionPlanTest.batch(new int[] {1, 5, 1}, new int[] {9, 5, 19})),
                "a prefill chunk among decodes");
        assertFalse(GraphKey.isDecodeOnly(AttentionPlanTest.batch(new int[] {2}, new int[] {2})), "a prompt");
        assertFalse(GraphKey.isDecodeOnly(AttentionPlanTest.batch(new int[0], new int[0])), "an empty step");
    }
}
