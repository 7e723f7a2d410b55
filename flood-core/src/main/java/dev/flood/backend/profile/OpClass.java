package dev.flood.backend.profile;

/** The classes a step's backend operations are timed in, in the order the profile lists them. */
public enum OpClass {
    /** Every dense matrix product: projections, MLP, lm_head, a mixture-of-experts router. */
    GEMM("GEMMs"),
    /** The grouped GEMMs of a mixture-of-experts layer's experts (none in a dense model). */
    EXPERT_GEMM("expert GEMMs"),
    /** Attention over the KV cache, with its split merge. */
    ATTENTION("attention"),
    /** Row-wise ops: embedding, norms, rotary, cache writes, activation, quantization, expert routing and combine. */
    NORM_ELEMENTWISE("norms + elementwise"),
    /** Sampling and log-probabilities of logits rows, with the copy of their results to the host. */
    SAMPLING("sampling"),
    /** Step metadata uploads, row gathers and copies to the host. */
    COPY("copies");

    private final String label;

    OpClass(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
