package dev.flood.engine.pipeline;

import dev.flood.backend.PendingOutputs;
import java.util.concurrent.CompletableFuture;

/**
 * A launched micro-batch until the engine collects it. The last stage's worker completes {@link #outputs} once
 * it has launched the step's outputs (or a stage failed); the engine thread waits on it.
 *
 * @param gapCounts     whether idle time before this step counts (false: the engine had no work before it)
 * @param launchedNanos {@link System#nanoTime} at launch
 */
record InFlight<P extends MicroBatch>(P microBatch, boolean gapCounts, long launchedNanos,
                                      CompletableFuture<PendingOutputs> outputs) {

    InFlight(P microBatch, boolean gapCounts, long launchedNanos) {
        this(microBatch, gapCounts, launchedNanos, new CompletableFuture<>());
    }
}
