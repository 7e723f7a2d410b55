package dev.flood.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.cpu.CpuBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SlotLineage} on hand-made steps: a prefix written by one request and read by another that lists its slots
 * first passes; a slot never written, one holding another position, and one rewritten after the slot after it
 * was computed are each reported.
 */
class SlotLineageTest {

    private static final AttentionShape SHAPE = AttentionShape.of(2, 1, 4);

    @Test
    void aPrefixWrittenByOneRequestAndReadByAnotherIsItsContext() {
        try (SlotLineage lineage = new SlotLineage(new CpuBackend(1))) {
            lineage.allocateCache(1, 64, SHAPE.kvSize());
            step(lineage, oneRequest(new int[] {10}, new int[] {3}, 0, 3));            // prefix at slots 10..12
            step(lineage, oneRequest(new int[] {10, 40}, new int[] {3, 5}, 3, 2));     // another request attaches it
            assertEquals(List.of(), lineage.violations());
        }
    }

    @Test
    void unwrittenMisplacedAndStaleSlotsAreReported() {
        try (SlotLineage lineage = new SlotLineage(new CpuBackend(1))) {
            lineage.allocateCache(1, 64, SHAPE.kvSize());
            step(lineage, oneRequest(new int[] {20}, new int[] {4}, 1, 3));            // token 0 never written
            step(lineage, oneRequest(new int[] {30}, new int[] {4}, 0, 2));
            step(lineage, oneRequest(new int[] {29}, new int[] {4}, 3, 1));            // reads slot 30 as token 1
            step(lineage, oneRequest(new int[] {30}, new int[] {1}, 0, 1));            // rewrites token 0 of slot 30
            step(lineage, oneRequest(new int[] {30}, new int[] {4}, 2, 1));            // its token 1 is now stale
            assertEquals(List.of(
                    "step 1, request 0 (context 4, 3 query tokens): token 0 at slot 20 never written",
                    "step 3, request 0 (context 4, 1 query tokens): token 0 at slot 29 never written",
                    "step 5, request 0 (context 3, 1 query tokens): token 1 at slot 31 was computed after another"
                            + " value of position 0"), lineage.violations());
        }
    }

    @Test
    void aSlotHoldingAnotherPositionIsReported() {
        try (SlotLineage lineage = new SlotLineage(new CpuBackend(1))) {
            lineage.allocateCache(1, 64, SHAPE.kvSize());
            step(lineage, oneRequest(new int[] {8}, new int[] {6}, 0, 6));
            step(lineage, oneRequest(new int[] {9, 50}, new int[] {2, 4}, 2, 1));      // slot 9 holds position 1
            assertEquals(List.of("step 2, request 0 (context 3, 1 query tokens): token 0 at slot 9 holds position 1"),
                    lineage.violations());
        }
    }

    /** One request over extents (starts, lengths) computing tokens first .. first + count - 1. */
    private static ForwardBatch oneRequest(int[] starts, int[] lengths, int first, int count) {
        int[] positions = new int[count];
        int[] slots = new int[count];
        for (int i = 0; i < count; i++) {
            positions[i] = first + i;
            int token = first + i;
            int e = 0;
            while (token >= lengths[e]) {
                token -= lengths[e++];
            }
            slots[i] = starts[e] + token;
        }
        return new ForwardBatch(new int[count], positions, slots, new int[] {0, count}, new int[] {first + count},
                new int[] {0, starts.length}, starts, lengths, new int[0]);
    }

    private static void step(SlotLineage lineage, ForwardBatch batch) {
        lineage.beginStep(batch);
        Tensor qkv = lineage.allocate(batch.numTokens(), SHAPE.qkvWidth());
        Tensor out = lineage.allocate(batch.numTokens(), SHAPE.qSize());
        lineage.writeCache(0, qkv, SHAPE, batch);
        lineage.attention(0, qkv, SHAPE, batch, out);
        lineage.endStep();
    }
}
