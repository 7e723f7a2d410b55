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
}
