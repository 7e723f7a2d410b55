package dev.flood.backend;

/**
 * Which experts each token of a step goes to, and with what weight: a backend-owned result of
 * {@link Backend#routeExperts}, valid for the current step. Token {@code t}'s choice {@code j} is pair
 * {@code t * topK + j}; {@link Backend#expertLinear} writes one row per pair, and {@link Backend#combineExperts} sums a
 * token's pairs back into one row.
 */
public interface ExpertRouting {

    int numTokens();

    int numExperts();

    int topK();

    /** Rows of a per-pair activation: {@code numTokens * topK}. */
    default int numPairs() {
        return numTokens() * topK();
    }
}
