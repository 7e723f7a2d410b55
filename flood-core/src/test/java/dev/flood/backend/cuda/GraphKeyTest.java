package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which steps run as CUDA graphs, and which share an instantiated graph ({@link GraphKey}). */
class GraphKeyTest {

    @Test
    void aKeyHasRowsAndNoNegativeNodeCount() {
        assertThrows(IllegalArgumentException.class, () -> new GraphKey(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new GraphKey(4, -1));
        assertEquals(new GraphKey(33, 300), new GraphKey(33, 300));
        assertFalse(new GraphKey(33, 300).equals(new GraphKey(40, 300)), "rows 33 and 40 do not share a graph");
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
