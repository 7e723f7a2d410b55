package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.SamplingParams;
import dev.flood.sampling.Draw;
import dev.flood.sampling.SamplingState;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host side of GPU sampling (no GPU): the byte layout of SamplingRow and the rejection of penalties. */
class GpuSamplerRowsTest {

    @Test
    void rowsAreLaidOutAsTheKernelReadsThem() {
        SamplingParams params = SamplingParams.builder().temperature(0.7).topK(43).topP(0.9).minP(0.05).build();
        SamplingState state = new SamplingState(params, -123456789L, 1009, new int[] {3, 5});
        state.accept(7);
        state.accept(8);
        SamplingState greedy = new SamplingState(SamplingParams.greedy(4), 17, 1009, new int[] {1});
        ByteBuffer rows = GpuSampler.rowParameters(List.of(Draw.next(state), new Draw(greedy, 5)));
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
    }

    @Test
    void penaltiesAreRejected() {
        SamplingParams params = SamplingParams.builder().temperature(1).repetitionPenalty(1.3).build();
        SamplingState state = new SamplingState(params, 1, 100, new int[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuSampler.rowParameters(List.of(Draw.next(state))));
        assertEquals("row 0 asks for repetition, presence or frequency penalties, which GPU sampling does not apply"
                + " yet; sample it on the CPU", e.getMessage());
    }
}
