package dev.flood.model;

import dev.flood.backend.RouterSpec;

/** What one decoder layer's feed-forward sublayer is: a SiLU-gated MLP, or a sparse mixture of such MLPs. */
public sealed interface FeedForwardSpec {

    /** {@code down(silu(gate(x)) * up(x))} with projections {@code intermediateSize} wide. */
    record Dense(int intermediateSize) implements FeedForwardSpec {
    }

    /**
     * A router over {@code numExperts} SiLU-gated MLPs of width {@code intermediateSize}; each token goes to
     * {@code router.topK()} of them and gets their outputs' weighted sum.
     */
    record Sparse(int numExperts, int intermediateSize, RouterSpec router) implements FeedForwardSpec {

        public Sparse {
            if (router.topK() > numExperts) {
                throw new IllegalArgumentException("top-" + router.topK() + " routing over " + numExperts + " experts");
            }
        }
    }
}
