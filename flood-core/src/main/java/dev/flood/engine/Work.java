package dev.flood.engine;

/**
 * What a sequence is for: generating a continuation, or scoring its own tokens. The step plan asks which rows
 * need logits; the post-processor hands the work what those rows say and learns whether it is finished.
 */
sealed interface Work permits Generation, Scoring {

    /**
     * Whether the sequence samples a token from the logits of its last known token (generation). Scoring reads
     * the log-probabilities of its own tokens through the lm_head instead ({@link Scoring#scoredFrom}) and needs
     * no logits rows.
     */
    boolean samplesNextToken();

    /** Ends the work with an error (bad input found late, a failed step, the engine closing). */
    void fail(String error, Sequence sequence);
}
