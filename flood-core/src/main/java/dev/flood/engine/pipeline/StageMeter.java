package dev.flood.engine.pipeline;

import dev.flood.api.StageMetrics;
import dev.flood.backend.StepTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Adds up one stage's {@link StepTime}s. The stage's worker notes each step it begins ({@link #begun}, with
 * whether the idle gap before it counts) and passes the times its backend reports, which come in the same order;
 * the engine thread reads {@link #snapshot}.
 */
final class StageMeter {

    private final int stage;
    private final String device;
    private final int firstLayer;
    private final int endLayer;
    private final Deque<Boolean> gapCounts = new ArrayDeque<>();   // worker thread only
    private long steps;
    private long busyNanos;
    private long idleNanos;

    StageMeter(int stage, String device, int firstLayer, int endLayer) {
        this.stage = stage;
        this.device = device;
        this.firstLayer = firstLayer;
        this.endLayer = endLayer;
    }

    /** A step began; {@code gapCounts} is false when the engine had no work before launching it. */
    void begun(boolean gapCounts) {
        this.gapCounts.addLast(gapCounts);
    }

    /**
     * The times of the oldest steps begun, in order. A time beyond the steps noted (a step whose begin failed
     * after its backend marked it) counts its gap: metrics never fail a step.
     */
    void record(List<StepTime> times) {
        for (StepTime time : times) {
            boolean counts = gapCounts.isEmpty() || gapCounts.pollFirst();
            synchronized (this) {
                steps++;
                busyNanos += time.busyNanos();
                if (counts && time.idleNanos() > 0) {
                    idleNanos += time.idleNanos();
                }
            }
        }
    }

    synchronized StageMetrics snapshot() {
        return new StageMetrics(stage, device, firstLayer, endLayer, steps, busyNanos / 1e9, idleNanos / 1e9);
    }
}
