package dev.flood.engine.pipeline;

import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;

/**
 * What the pipeline runs: one step's batch through every stage, and on the last stage the outputs asked of its
 * head (draws from logits rows, scores from hidden-state rows). The engine's step plans implement it; the
 * pipeline hands them back, with their outputs, in launch order.
 */
public interface MicroBatch {

    ForwardBatch batch();

    OutputSpec outputs();
}
