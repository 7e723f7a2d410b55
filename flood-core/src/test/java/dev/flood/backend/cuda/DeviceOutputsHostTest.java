package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;
import dev.flood.sampling.Draw;
import dev.flood.sampling.SamplingState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host side of a step's GPU outputs (no GPU): where each row is drawn, and how deferred rows find tokens. */
class DeviceOutputsHostTest {

    private static Draw draw(SamplingParams params) {
        return Draw.next(new SamplingState(params, 1, 50, new int[] {1}));
    }

    @Test
    void rowsWithPenaltiesAreDrawnOnTheHostTheRestCompactOnTheDevice() {
        OutputSpec spec = new OutputSpec(new int[] {4, 0, 2, 3}, List.of(
                draw(SamplingParams.builder().logprobs(2).build()),
                draw(SamplingParams.builder().repetitionPenalty(1.1).logprobs(1).build()),
                draw(SamplingParams.greedy(3)),
                draw(SamplingParams.builder().temperature(0.5).logprobs(5).build())), new int[0], new int[0]);
        DeviceOutputs.Partition where = DeviceOutputs.Partition.of(spec);
        assertArrayEquals(new int[] {0, 2, 3}, where.onDevice(), "sample rows drawn on the device, in order");
        assertArrayEquals(new int[] {1}, where.onHost());
        assertArrayEquals(new int[] {0, 2}, where.wanting(), "compact rows 0 and 2 want log-probabilities");
        assertArrayEquals(new int[] {0, -1, 1, 2}, where.deviceRowOf());
    }

    @Test
    void deferredRowsPointAtThePreviousStepsCompactTokens() {
        int[] ids = {5, 0, 7, 0};
        ForwardBatch batch = new ForwardBatch(ids, new int[] {3, 9, 4, 6}, new int[4], new int[] {0, 1, 2, 3, 4},
                new int[] {4, 10, 5, 7}, new int[] {0, 1, 2, 3, 4}, new int[4], new int[] {10, 10, 10, 10},
                new int[] {0, 1, 2, 3}, new int[] {-1, 3, -1, 0});
        DeviceOutputs.Deferred deferred = DeviceOutputs.Deferred.of(batch, new int[] {0, -1, 1, 2});
        assertArrayEquals(new int[] {5, 0, 7, 0}, deferred.tokenIds());
        assertArrayEquals(new int[] {-1, 2, -1, 0}, deferred.sources());

        DeviceOutputs.Deferred afterAFailedStep = DeviceOutputs.Deferred.of(batch, null);
        assertArrayEquals(new int[] {-1, -1, -1, -1}, afterAFailedStep.sources(), "token 0, discarded later");

        assertEquals("row 1 feeds sample row 3 of the previous step, which drew no token there on the device",
                assertThrows(IllegalArgumentException.class,
                        () -> DeviceOutputs.Deferred.of(batch, new int[] {0, 1, 2, -1})).getMessage());
        assertEquals("row 1 feeds sample row 3 of the previous step, which drew no token there on the device",
                assertThrows(IllegalArgumentException.class,
                        () -> DeviceOutputs.Deferred.of(batch, new int[] {0})).getMessage());
    }
}
