package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ForwardBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The batches of {@link CudaGraphsTest}, checked without a GPU: every decode step is a valid batch of exactly its
 * rows' requests (so {@link GraphKey#isDecodeOnly} holds), and each
 * request's context grows by one per step it is in.
 */
class DecodeStepBatchesTest {

    private static final int[] DECODE_ROWS = {40, 40, 33, 33, 19, 19, 19, 19, 8, 5, 5, 3, 2, 1, 1, 2, 40, 33};

    @Test
    void everyDecodeStepHoldsExactlyItsRowsRequests() {
        DecodeStepBatches steps = new DecodeStepBatches(1024, 40, 300, 250);
        ForwardBatch prefill = steps.prefill();
        assertEquals(40, prefill.numSeqs());
        int promptTokens = 250;
        for (int s = 1; s < 40; s++) {
            promptTokens += 1 + s % 7;
        }
        assertEquals(promptTokens, prefill.numTokens());
        assertFalse(GraphKey.isDecodeOnly(prefill), "the prefill is not a decode step");
        int[] contexts = prefill.contextLens().clone();
        for (int rows : DECODE_ROWS) {
            ForwardBatch decode = steps.decode(rows);
            assertEquals(rows, decode.numSeqs(), "requests in a step of " + rows + " rows");
            assertEquals(rows, decode.numTokens());
            assertTrue(GraphKey.isDecodeOnly(decode), "a step of " + rows + " rows is decode-only");
            for (int s = 0; s < rows; s++) {
                contexts[s]++;
                assertEquals(contexts[s] - 1, decode.positions()[s], "position of request " + s);
                assertEquals(s * 300 + contexts[s] - 1, decode.slotMapping()[s], "slot of request " + s);
                assertEquals(s, decode.logitRows()[s]);
            }
            int[] expected = Arrays.copyOf(contexts, rows);
            assertArrayEquals(expected, decode.contextLens(), "contexts after a step of " + rows + " rows");
            assertArrayEquals(expected, decode.extentLengths(), "each request's one extent covers its context");
        }
        assertEquals(250 + DECODE_ROWS.length, contexts[0], "request 0 is in every step");
    }

    @Test
    void twoInstancesGiveEqualBatches() {
        DecodeStepBatches a = new DecodeStepBatches(1024, 40, 300, 250);
        DecodeStepBatches b = new DecodeStepBatches(1024, 40, 300, 250);
        assertArrayEquals(a.prefill().tokenIds(), b.prefill().tokenIds());
        for (int rows : DECODE_ROWS) {
            assertArrayEquals(a.decode(rows).tokenIds(), b.decode(rows).tokenIds(), "a step of " + rows + " rows");
        }
    }
}
