package dev.flood.engine;

/**
 * What a sequence is for: generating a continuation ({@link Generation}: the step plan asks for the logits of
 * its last row and a draw), or scoring its own tokens ({@link Scoring}: the log-probabilities of the rows it
 * {@link Scoring#scores}, read from the hidden states through the lm_head). The post-processor hands the work
 * what its rows gave and learns whether it is finished.
 */
sealed interface Work permits Generation, Scoring {

    /** The caller's future: cancelling it cancels the request. */
    RequestFuture<?> future();

    /**
     * Tokens at the start of the sequence whose rows' outputs the work never reads, so their keys and values may
     * come from the prefix cache instead of being computed.
     */
    int skippableTokens(Sequence sequence);

    /** Ends the work with an error (bad input found late, a failed step, the engine closing). */
    void fail(String error, Sequence sequence);

    /** Ends the work because its caller cancelled it, with what it has so far. */
    void cancel(Sequence sequence);
}
