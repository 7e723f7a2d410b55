package dev.flood.backend;

/**
 * A step's outputs that may still be computing on a device ({@link Backend#launchOutputs}). Made on the thread
 * that runs the step; {@link #await} is called once, on the engine thread, after the step was ended
 * ({@link Backend#endStep}).
 */
public interface PendingOutputs {

    /**
     * Waits for the step and returns what its logits gave. Throws {@link dev.flood.api.FloodException} when a
     * row's logits cannot be sampled (NaN or +Infinity, every token masked), as the synchronous ops do.
     */
    StepOutputs await();

    /** Outputs already computed (the CPU backend computes them in the step itself). */
    static PendingOutputs completed(StepOutputs outputs) {
        return () -> outputs;
    }
}
