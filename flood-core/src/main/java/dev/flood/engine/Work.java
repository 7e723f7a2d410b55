package dev.flood.engine;

/**
 * What a sequence is for: generating a continuation, or scoring its own tokens. The scheduler asks which rows
 * need logits; the post-processor hands it those logits and learns whether it is finished.
 */
sealed interface Work permits Generation, Scoring {

    /** Whether every row of a chunk needs logits (scoring) or only the last row of the sequence (generation). */
    boolean needsAllLogits();

    /** The caller's future: cancelling it cancels the request. */
    RequestFuture<?> future();

    /** Ends the work with an error (bad input found late, a failed step, the engine closing). */
    void fail(String error, Sequence sequence);

    /** Ends the work because its caller cancelled it, with what it has so far. */
    void cancel(Sequence sequence);
}
