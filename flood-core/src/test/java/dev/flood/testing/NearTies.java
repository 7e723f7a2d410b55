package dev.flood.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.GenerationResult;
import dev.flood.api.TokenLogprobs;
import java.util.List;

/**
 * Greedy tokens of two runs that should agree up to float rounding (another batch composition, another GEMM
 * shape): identical until a near-tie, where the reference's top-2 log-probability gap is under a threshold, after
 * which the contexts differ and nothing more is compared. The reference must have asked for 2 log-probabilities.
 */
public final class NearTies {

    private NearTies() {
    }

    /** Returns the step where the two parted at a near-tie, or -1 when every token agrees. */
    public static int assertSameUntilNearTie(GenerationResult reference, GenerationResult actual, double nearTie,
                                             String what) {
        assertFalse(reference.isError(), what + " (reference): " + reference.error());
        assertFalse(actual.isError(), what + ": " + actual.error());
        List<Integer> expected = reference.tokenIds();
        List<Integer> tokens = actual.tokenIds();
        assertEquals(expected.size(), tokens.size(), what + ": number of tokens");
        for (int step = 0; step < expected.size(); step++) {
            if (!expected.get(step).equals(tokens.get(step))) {
                TokenLogprobs at = reference.logprobs().get(step);
                double gap = at.top().get(0).logprob() - at.top().get(1).logprob();
                System.out.printf("%s: parts at step %d (reference top-2 gap %.3g nats)%n", what, step, gap);
                assertTrue(gap < nearTie, what + ": token " + step + " is " + tokens.get(step) + ", expected "
                        + expected.get(step) + " with a top-2 gap of " + gap + " nats, not a near-tie");
                return step;
            }
        }
        return -1;
    }

    /**
     * As {@link #assertSameUntilNearTie}, and where the two part, the token drawn instead must be one of the
     * reference's top log-probabilities within {@code nearTie} of its best: rounding can only reorder candidates
     * that close, while a wrong token fed or drawn gives one from anywhere in the vocabulary. The reference must
     * have asked for several log-probabilities (5 covers three- and four-way ties of flat distributions).
     */
    public static int assertSameUntilSwapAtNearTie(GenerationResult reference, GenerationResult actual, double nearTie,
                                                   String what) {
        int step = assertSameUntilNearTie(reference, actual, nearTie, what);
        if (step >= 0) {
            TokenLogprobs at = reference.logprobs().get(step);
            int drawn = actual.tokenIds().get(step);
            double best = at.top().get(0).logprob();
            boolean close = at.top().stream().anyMatch(t -> t.tokenId() == drawn && best - t.logprob() < nearTie);
            assertTrue(close, what + ": at step " + step + " drew token " + drawn + ", which is not among the "
                    + "reference's candidates within " + nearTie + " nats of its best: " + at.top());
        }
        return step;
    }
}
