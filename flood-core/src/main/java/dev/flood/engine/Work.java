package dev.flood.engine;

/**
 * What a sequence is for: generating a continuation, or scoring its own tokens. The scheduler asks which rows
 * need logits; the post-processor hands it those logits and learns whether it is finished.
 */
sealed interface Work permits Generation, Scoring {

    /** Whether every row of a chunk needs logits (scoring) or only the last row of the sequence (generation). */
    boolean needsAllLogits();

    /**
     * Tokens at the start of the sequence whose rows' outputs the work never reads, so their keys and values may
     * come from the prefix cache instead of being computed.
     */
    int skippableTokens(Sequence sequence);

    /** Ends the work with an error (bad input found late, a failed step, the engine closing). */
    void fail(String error, Sequence sequence);
}
