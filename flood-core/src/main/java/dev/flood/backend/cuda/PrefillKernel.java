package dev.flood.backend.cuda;

/**
 * Which kernel runs prefill attention: chosen once when the backend opens, so every step and request on a device
 * takes the same one (batch invariance). {@link #FASTEST} is what the engine uses; {@link #MMA_SYNC} lets tests and
 * benchmarks run the portable kernel on a Hopper GPU too.
 */
enum PrefillKernel {
    /** The Hopper kernel (PREFILL_SM90) on compute capability 9.x for head dims 64 and 128, else the mma.sync kernel. */
    FASTEST,
    /** The mma.sync kernel (sm_80 and newer) always. */
    MMA_SYNC;

    /** The prefill variant for a model of {@code headDim} on a device of {@code computeCapability} (10 x major + minor). */
    AttentionVariant variant(int computeCapability, int headDim) {
        if (this == FASTEST && AttentionVariant.PREFILL_SM90.runsOn(computeCapability, headDim)) {
            return AttentionVariant.PREFILL_SM90;
        }
        return AttentionVariant.PREFILL;
    }
}
