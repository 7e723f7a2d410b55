package dev.flood.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flood.api.StageMetrics;
import dev.flood.backend.StepTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stage's idle time counts only the gaps before steps that work was waiting for. */
class StageMeterTest {

    @Test
    void gapsAfterTheEngineHadNoWorkAreNotIdleTime() {
        StageMeter meter = new StageMeter(1, "cuda:0", 17, 32);
        meter.begun(true);
        meter.begun(true);
        meter.begun(false);
        meter.begun(true);
        meter.record(List.of(new StepTime(1_000_000, -1), new StepTime(2_000_000, 300_000)));
        meter.record(List.of(new StepTime(1_000_000, 5_000_000_000L), new StepTime(4_000_000, 200_000)));
        StageMetrics metrics = meter.snapshot();
        assertEquals(new StageMetrics(1, "cuda:0", 17, 32, 4, 0.008, 0.0005), metrics);
        assertEquals(0.0625, metrics.idleShare(), 1e-12);
    }

    @Test
    void aTimeBeyondTheStepsNotedStillCounts() {
        StageMeter meter = new StageMeter(0, "cpu", 0, 3);
        meter.record(List.of(new StepTime(1000, 10)));
        assertEquals(new StageMetrics(0, "cpu", 0, 3, 1, 1e-6, 1e-8), meter.snapshot());
    }
}
