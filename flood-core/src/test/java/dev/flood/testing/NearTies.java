package dev.flood.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.GenerationResult;
import dev.flood.api.TokenLogprobs;
import dev.flood.api.TopLogprob;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * Greedy tokens of two runs that should agree up to float rounding (another batch composition, another GEMM
 * shape): identical until a near-tie, where the reference's top-2 gap is under a threshold, after which the
 * contexts differ and nothing more is compared. The reference must have asked for 2 log-probabilities (20 for a
 * request with penalties).
 */
public final class NearTies {

    private NearTies() {
    }

    /**
     * Where two runs of one request part: the first step whose tokens differ, the reference's top-2 gap there (in
     * the scores the draw compared) and a description naming both tokens.
     */
    public record Parting(int step, double gap, String description) {
    }

    /** Where the two part, or null when every token agrees; the gap is of the raw log-probabilities. */
    public static Parting parting(GenerationResult reference, GenerationResult actual, String what) {
        return parting(reference, actual, what, step -> {
            TokenLogprobs at = reference.logprobs().get(step);
            return at.top().get(0).logprob() - at.top().get(1).logprob();
        });
    }

    /**
     * As {@link #parting}, for greedy requests drawn with a presence and a frequency penalty: the log-probabilities
     * a request reports are of the raw logits, but its draw compared the penalized scores (raw, less
     * {@code frequency * count + presence} for each token generated so far), so the gap is taken there: on the
     * reference's top log-probabilities, penalized by the reference's own tokens before the step. A token outside
     * them scores at most the last of them; where that could come second (or first), the gap counts up to it. A raw
     * gap would be wrong here: penalized scores can tie where the raw ones are far apart (2026-12-03: requests with
     * a repetition penalty parted at raw gaps of 0.15 to 0.7 nats).
     */
    public static Parting penalizedParting(GenerationResult reference, GenerationResult actual, double presence,
                                           double frequency, String what) {
        return parting(reference, actual, what, step -> {
            Map<Integer, Integer> counts = new HashMap<>();
            for (int id : reference.tokenIds().subList(0, step)) {
                counts.merge(id, 1, Integer::sum);
            }
            List<TopLogprob> top = reference.logprobs().get(step).top();
            double outside = top.get(top.size() - 1).logprob();
            double[] scores = top.stream().mapToDouble(t -> {
                int count = counts.getOrDefault(t.tokenId(), 0);
                return t.logprob() - (count > 0 ? frequency * count + presence : 0);
            }).sorted().toArray();
            double best = scores[scores.length - 1];
            double second = Math.max(scores.length > 1 ? scores[scores.length - 2] : outside, outside);
            return Math.max(0, best - second);
        });
    }

    /** Returns the step where the two parted at a near-tie, or -1 when every token agrees. */
    public static int assertSameUntilNearTie(GenerationResult reference, GenerationResult actual, double nearTie,
                                             String what) {
        return assertNearTie(parting(reference, actual, what), nearTie);
    }

    /** As {@link #assertSameUntilNearTie}, judged on the penalized scores ({@link #penalizedParting}). */
    public static int assertSameUntilPenalizedNearTie(GenerationResult reference, GenerationResult actual,
                                                      double nearTie, double presence, double frequency, String what) {
        return assertNearTie(penalizedParting(reference, actual, presence, frequency, what), nearTie);
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

    private static int assertNearTie(Parting parting, double nearTie) {
        if (parting == null) {
            return -1;
        }
        assertTrue(parting.gap() < nearTie, parting.description() + ", not a near-tie");
        return parting.step();
    }

    private static Parting parting(GenerationResult reference, GenerationResult actual, String what,
                                   IntToDoubleFunction gapAt) {
        assertFalse(reference.isError(), what + " (reference): " + reference.error());
        assertFalse(actual.isError(), what + ": " + actual.error());
        List<Integer> expected = reference.tokenIds();
        List<Integer> tokens = actual.tokenIds();
        assertEquals(expected.size(), tokens.size(), what + ": number of tokens");
        for (int step = 0; step < expected.size(); step++) {
            if (!expected.get(step).equals(tokens.get(step))) {
                double gap = gapAt.applyAsDouble(step);
                System.out.printf("%s: parts at step %d (reference top-2 gap %.3g nats)%n", what, step, gap);
                return new Parting(step, gap, what + ": token " + step + " is " + tokens.get(step) + ", expected "
                        + expected.get(step) + " with a top-2 gap of " + gap + " nats");
            }
        }
        return null;
    }
}
