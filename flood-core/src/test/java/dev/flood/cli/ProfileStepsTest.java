package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ForwardBatch;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ProfileStepsTest {

    private static final Workload W = Workload.w();
    private static final int VOCAB = 128_256;
    private static final int POSITIONS = 131_072;

    @Test
    void theDecodeStepHasOneTokenPerRequestAtTheEndOfItsContext() {
        ProfileSteps steps = ProfileSteps.of(W, 256, 8192, VOCAB, POSITIONS);
        ProfileSteps.Step decode = steps.decode();
        ForwardBatch batch = decode.batch();
        assertEquals(256, batch.numTokens());
        assertEquals(256, batch.numSeqs());
        assertEquals(0, decode.prefillTokens());
        assertArrayEquals(IntStream.range(0, 256).toArray(), batch.logitRows(), "every decode samples");
        for (int i = 0; i < 256; i++) {
            int context = batch.contextLens()[i];
            int generated = context - W.inputLengths().get(i);
            assertTrue(generated >= 1 && generated < W.outputTokens(), "request " + i + " generated " + generated);
            assertEquals(context - 1, batch.positions()[i]);
            assertEquals(batch.extentStarts()[i] + context - 1, batch.slotMapping()[i], "the last slot of its extent");
            assertEquals(context, batch.extentLengths()[i]);
            assertEquals(i, batch.deferredTokens()[i], "decode row i takes the previous step's draw i");
        }
        // Workload W's prompts average 256 tokens; halfway through 256 outputs the contexts average about 384.
        assertEquals(384, decode.meanDecodeContext(), 40);
        assertSlotsDisjointAndInside(batch, steps.capacityTokens());
    }

    @Test
    void theMixedStepFillsTheBudgetWithFirstChunksAfterTheDecodes() {
        ProfileSteps steps = ProfileSteps.of(W, 256, 8192, VOCAB, POSITIONS);
        ProfileSteps.Step mixed = steps.mixed().orElseThrow();
        ForwardBatch batch = mixed.batch();
        assertEquals(8192, batch.numTokens());
        assertEquals(8192 - 256, mixed.prefillTokens());
        for (int seq = 256; seq < batch.numSeqs(); seq++) {
            assertEquals(batch.queryLen(seq), batch.contextLens()[seq], "a first chunk: its context is itself");
            assertEquals(0, batch.positions()[batch.cuSeqlensQ()[seq]]);
            assertEquals(-1, batch.deferredTokens()[batch.cuSeqlensQ()[seq]], "prompt tokens are known");
        }
        int lastSeq = batch.numSeqs() - 1;
        int lastPrompt = W.inputLengths().get(lastSeq);
        boolean lastComplete = batch.queryLen(lastSeq) == lastPrompt;
        List<Integer> rows = IntStream.of(batch.logitRows()).boxed().toList();
        assertEquals(lastComplete, rows.contains(batch.numTokens() - 1), "only complete prompts sample");
        for (int seq = 256; seq < lastSeq; seq++) {
            assertTrue(rows.contains(batch.cuSeqlensQ()[seq + 1] - 1), "complete prompt " + seq + " samples");
        }
        assertSlotsDisjointAndInside(batch, steps.capacityTokens());
        assertEquals(steps.decode().batch().contextLens()[7], batch.contextLens()[7], "the same decodes");
    }

    @Test
    void promptsAreCutToLeaveRoomForTheOutput() {
        ProfileSteps steps = ProfileSteps.of(W, 64, 64, 1024, 300);
        for (int context : steps.decode().batch().contextLens()) {
            assertTrue(context <= 299, "context " + context + " within 300 positions");
        }
        assertTrue(steps.mixed().isEmpty(), "no room beside 64 decodes in 64 tokens");
    }

    @Test
    void moreRequestsThanTheBudgetAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProfileSteps.of(W, 512, 256, VOCAB, POSITIONS));
        assertEquals("the profile needs 1 <= running <= step budget, got 512 running in steps of 256 tokens",
                e.getMessage());
    }

    private static void assertSlotsDisjointAndInside(ForwardBatch batch, int capacity) {
        Set<Integer> seen = new HashSet<>();
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            int start = batch.extentStarts()[seq];
            for (int slot = start; slot < start + batch.extentLengths()[seq]; slot++) {
                assertTrue(slot >= 0 && slot < capacity, "slot " + slot + " inside " + capacity);
                assertTrue(seen.add(slot), "slot " + slot + " used twice");
            }
        }
    }
}
