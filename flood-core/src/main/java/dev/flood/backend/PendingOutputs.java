package dev.flood.backend;

/**
 * A step's outputs that may still be computing on a device ({@link Backend#launchOutputs}). Made on the thread
 * that runs the step; {@link #await} is called once, on the engine thread, after the step was ended
 * ({@link Backend#endStep}).
 */
public interface PendingOutputs {

    /**
     * Waits for the step and returns what its logits gave. A row whose logits cannot be sampled or scored (NaN or
     * +Infinity, every token masked) gets its error in the outputs ({@link StepOutputs#sampleErrors()}); this
     * throws only for a failure of the step itself (a device error).
     */
    StepOutputs await();

    /** Outputs already computed (the CPU backend computes them in the step itself). */
    static PendingOutputs completed(StepOutputs outputs) {
        return () -> outputs;
    }
}
