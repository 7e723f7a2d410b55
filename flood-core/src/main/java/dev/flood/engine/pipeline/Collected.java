package dev.flood.engine.pipeline;

import dev.flood.backend.StepOutputs;

/**
 * A micro-batch back from the pipeline: its outputs, or the failure of one of its stages (then outputs is null).
 *
 * @param launchedNanos {@link System#nanoTime} when it was launched
 */
public record Collected<P extends MicroBatch>(P microBatch, StepOutputs outputs, Throwable failure,
                                              long launchedNanos) {
}
