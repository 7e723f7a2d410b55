package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.SamplingParams;
import dev.flood.sampling.Draw;
import dev.flood.sampling.SamplingState;
import dev.flood.sampling.TokenConstraint;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host side of GPU sampling (no GPU): the byte layout of SamplingRow, the masks of constrained rows, and the
 * rejection of penalties.
 */
class GpuSamplerRowsTest {

    /** A constraint that only hands out a fixed mask. */
    private record FixedMask(int[] allowedTokens) implements TokenConstraint {
        @Override
        public void accept(int tokenId) {
        }

        @Override
        public boolean isComplete() {
            return false;
        }
    }

    @Test
    void constrainedRowsShareEachDistinctMaskOnce() {
        int vocab = 70;   // three words, the last partly used
        int[] first = {0b101, 0, 1 << 5};
        int[] second = {0, -1, 0};
        SamplingParams params = SamplingParams.builder().temperature(1).build();
        List<SamplingState> states = List.of(
                new SamplingState(params, 1, vocab, new int[] {1}, new FixedMask(first)),
                new SamplingState(params, 2, vocab, new int[] {1}),
                new SamplingState(params, 3, vocab, new int[] {1}, new FixedMask(second)),
                new SamplingState(params, 4, vocab, new int[] {1}, new FixedMask(first)));
        List<Draw> draws = states.stream().map(Draw::next).toList();
        GpuSampler.PackedRows packed = GpuSampler.pack(draws, vocab);
        assertEquals(2, packed.numMasks());
        assertEquals(3, packed.maskWords());
        assertArrayEquals(new int[] {0b101, 0, 1 << 5, 0, -1, 0}, packed.masks());
        int[] maskRows = new int[states.size()];
        for (int r = 0; r < states.size(); r++) {
            maskRows[r] = packed.params().getInt(r * GpuSampler.ROW_BYTES + 44);
        }
        assertArrayEquals(new int[] {0, -1, 1, 0}, maskRows);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GpuSampler.pack(draws, 100));
        assertEquals("row 0 has a token mask of 3 words for logits of 100 columns", e.getMessage());
    }

    @Test
    void rowsAreLaidOutAsTheKernelReadsThem() {
        SamplingParams params = SamplingParams.builder().temperature(0.7).topK(43).topP(0.9).minP(0.05).build();
        SamplingState state = new SamplingState(params, -123456789L, 1009, new int[] {3, 5});
        state.accept(7);
        state.accept(8);
        SamplingState greedy = new SamplingState(SamplingParams.greedy(4), 17, 1009, new int[] {1});
        ByteBuffer rows = GpuSampler.pack(List.of(Draw.next(state), new Draw(greedy, 5)), 1009).params();
        assertEquals(2 * GpuSampler.ROW_BYTES, rows.remaining());
        assertEquals(0.9, rows.getDouble(0));
        assertEquals(0.05, rows.getDouble(8));
        assertEquals(-123456789L, rows.getLong(16));
        assertEquals(2L, rows.getLong(24), "the counter is the number of tokens generated");
        assertEquals(0.7f, rows.getFloat(32));
        assertEquals(43, rows.getInt(36));
        assertEquals(0, rows.getInt(40), "not greedy");
        assertEquals(1, rows.getInt(GpuSampler.ROW_BYTES + 40), "greedy");
        assertEquals(5L, rows.getLong(GpuSampler.ROW_BYTES + 24), "a later draw's counter (steps in flight)");
        assertEquals(1.0, rows.getDouble(GpuSampler.ROW_BYTES), "top_p 1 disables it");
        assertEquals(-1, rows.getInt(44), "no mask");
    }

    @Test
    void penaltiesAreRejected() {
        SamplingParams params = SamplingParams.builder().temperature(1).repetitionPenalty(1.3).build();
        SamplingState state = new SamplingState(params, 1, 100, new int[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuSampler.pack(List.of(Draw.next(state)), 100));
        assertEquals("row 0 asks for repetition, presence or frequency penalties, which GPU sampling does not apply"
                + " yet; sample it on the CPU", e.getMessage());
    }
}
