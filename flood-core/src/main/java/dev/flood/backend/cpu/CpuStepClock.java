package dev.flood.backend.cpu;

import dev.flood.backend.StepTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Step times of the CPU backend, whose device is the host: a step is busy from {@code beginStep} to
 * {@code endStep} on the wall clock, and idle from the previous step's end to its begin (time the stage's worker
 * spent with nothing to run). Touched only by the thread that runs the steps.
 */
final class CpuStepClock {

    private final LongSupplier nanoTime;
    private final List<StepTime> finished = new ArrayList<>();
    private long previousEnd = -1;
    private long start = -1;      // -1 between steps

    CpuStepClock(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    void begin() {
        end();
        start = nanoTime.getAsLong();
    }

    /** Ends the running step, if any. */
    void end() {
        if (start < 0) {
            return;
        }
        long now = nanoTime.getAsLong();
        finished.add(new StepTime(now - start, previousEnd < 0 ? -1 : start - previousEnd));
        previousEnd = now;
        start = -1;
    }

    List<StepTime> drain() {
        List<StepTime> times = List.copyOf(finished);
        finished.clear();
        return times;
    }
}
