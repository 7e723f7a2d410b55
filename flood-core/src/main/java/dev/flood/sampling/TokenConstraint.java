package dev.flood.sampling;

/**
 * What a request's output may be (a JSON schema, a regex, a choice list), as a set of allowed next tokens that
 * follows the tokens generated so far. One per request, carried by its {@link SamplingState}. Per step, in this
 * order: the backend reads {@link #allowedTokens()} when it samples (on the thread running the step), then the
 * engine thread {@link #accept}s the sampled token when it collects the step, which also prepares the next set
 * (so the host work for step N+1 is done as soon as step N's token is known). A constrained request is never in
 * two steps at once (it takes no deferred tokens), and the engine hands each step to the thread running it
 * through a queue, so the two threads never touch one constraint at the same time.
 */
public interface TokenConstraint {

    /**
     * The tokens that may come next, as a bitmask over the logits row: {@code ceil(vocab / 32)} words, token
     * {@code t} allowed iff bit {@code t % 32} of word {@code t / 32} is set. EOS ids are allowed only where
     * the output so far is complete. Shared between requests and steps: never modify it.
     */
    int[] allowedTokens();

    /**
     * Advances past {@code tokenId}, which must be allowed. Throws {@link dev.flood.api.FloodException} when no
     * token can follow it and the output is not complete (a vocabulary that cannot spell what must come next).
     */
    void accept(int tokenId);

    /** Whether the output so far is complete: it parses as the format asks. */
    boolean isComplete();
}
