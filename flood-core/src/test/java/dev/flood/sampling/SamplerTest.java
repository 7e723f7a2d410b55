package dev.flood.sampling;

import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole {@link Sampler#sample} pipeline: greedy, sampling frequencies, determinism, errors. */
class SamplerTest {

    private final long runSeed = RandomLogits.freshSeed();
    private final SplittableRandom rng = new SplittableRandom(runSeed);
    private final Sampler sampler = new Sampler();

    @Test
    void greedyIsTheArgmaxOfThePenalizedLogits() {
        int vocab = 19;
        float[] logits = RandomLogits.uniform(rng, vocab, 3);
        int rawBest = LogitTransforms.argmax(logits, vocab);
        float[] others = logits.clone();
        others[rawBest] = Float.NEGATIVE_INFINITY;
        int runnerUp = LogitTransforms.argmax(others, vocab);
        // The raw winner leads the unpenalized runner-up by 0.5; three generated copies cost it at least
        // 0.3 * 3 + 0.4 = 1.3, so the penalties must change the winner.
        logits[rawBest] = logits[runnerUp] + 0.5f;
        int[] prompt = {idOtherThan(runnerUp, vocab), idOtherThan(runnerUp, vocab), idOtherThan(runnerUp, vocab)};
        int[] generated = {rawBest, idOtherThan(runnerUp, vocab), rawBest, rawBest, idOtherThan(runnerUp, vocab)};
        SamplingParams params = SamplingParams.builder().repetitionPenalty(1.3).presencePenalty(0.4)
                .frequencyPenalty(0.3).build();
        SamplingState state = new SamplingState(params, runSeed, vocab, prompt);
        for (int id : generated) {
            state.accept(id);
        }
        int expected = naivePenalizedArgmax(logits, prompt, generated, params);
        assertNotEquals(rawBest, expected, "seed " + runSeed);
        assertEquals(expected, sampler.sample(logits, 0, state), "seed " + runSeed);
    }

    @Test
    void greedyTiesGoToTheLowestId() {
        float[] logits = RandomLogits.uniform(rng, 19, 3);
        logits[13] = 5f;
        logits[4] = 5f;
        logits[9] = 5f;
        SamplingState state = new SamplingState(SamplingParams.greedy(4), runSeed, 19, new int[] {1});
        assertEquals(4, sampler.sample(logits, 0, state), "seed " + runSeed);
    }

    @Test
    void drawFrequenciesMatchTheSoftmax() {
        double[] probabilities = {0.1, 0.35, 0.05, 0.3, 0.2};
        double shift = rng.nextDouble() * 4 - 2;
        float[] logits = new float[5];
        for (int id = 0; id < 5; id++) {
            logits[id] = (float) (Math.log(probabilities[id]) + shift);
        }
        double[] expected = HfWarpers.softmax(logits);
        int numDraws = 200_000;
        int[] counts = drawMany(logits, SamplingParams.builder().temperature(1), numDraws);
        for (int id = 0; id < 5; id++) {
            // Each count is binomial(n, p): standard error sqrt(p (1 - p) / n). Four of them: a correct sampler
            // fails one run in about 3,000 over the five tokens.
            double frequency = counts[id] / (double) numDraws;
            double standardError = Math.sqrt(expected[id] * (1 - expected[id]) / numDraws);
            assertEquals(expected[id], frequency, 4 * standardError, "seed " + runSeed + ", token " + id);
        }
    }

    @Test
    void topKTwoOnlyEverDrawsTheTopTwo() {
        float[] logits = RandomLogits.uniform(rng, 19, 1.5);
        int[] counts = drawMany(logits, SamplingParams.builder().temperature(1).topK(2), 20_001);
        int[] topTwo = TopTokens.select(logits, 0, 19, 2);
        for (int id = 0; id < 19; id++) {
            boolean inTopTwo = id == topTwo[0] || id == topTwo[1];
            // The second token has probability >= exp(-3) / (1 + exp(-3)) = 0.047 among two: it must appear.
            assertEquals(inTopTwo, counts[id] > 0, "seed " + runSeed + ", token " + id + " drawn " + counts[id]);
        }
    }

    @Test
    void maskedTokensAreNeverDrawn() {
        float[] logits = RandomLogits.uniform(rng, 19, 0.5);
        for (int id = 0; id < 19; id += 3) {
            logits[id] = Float.NEGATIVE_INFINITY;
        }
        int[] counts = drawMany(logits, SamplingParams.builder().temperature(1.3), 5_000);
        for (int id = 0; id < 19; id++) {
            assertEquals(id % 3 != 0, counts[id] > 0, "seed " + runSeed + ", token " + id + " drawn " + counts[id]);
        }
    }

    /** A constraint handing out one fixed mask. */
    private record FixedMask(int[] allowedTokens) implements TokenConstraint {
        @Override
        public void accept(int tokenId) {
        }

        @Override
        public boolean isComplete() {
            return false;
        }
    }

    @Test
    void aConstraintsMaskComesBeforeEverythingElse() {
        int vocab = 111;
        float[] logits = RandomLogits.uniform(rng, vocab, 4);
        int[] mask = new int[4];
        Set<Integer> allowed = new HashSet<>();
        while (allowed.size() < 5) {
            int id = rng.nextInt(vocab);
            allowed.add(id);
            mask[id >>> 5] |= 1 << (id & 31);
        }
        float[] masked = logits.clone();
        for (int id = 0; id < vocab; id++) {
            if (!allowed.contains(id)) {
                masked[id] = Float.NEGATIVE_INFINITY;
            }
        }
        SamplingState greedy = new SamplingState(SamplingParams.greedy(4), runSeed, vocab, new int[] {1},
                new FixedMask(mask));
        assertEquals(LogitTransforms.argmax(masked, vocab), sampler.sample(logits, 0, greedy), "seed " + runSeed);
        // top-k 2 among the allowed: only the two best allowed tokens are ever drawn
        SamplingParams topTwo = SamplingParams.builder().temperature(1.5).topK(2).build();
        int best = LogitTransforms.argmax(masked, vocab);
        float[] others = masked.clone();
        others[best] = Float.NEGATIVE_INFINITY;
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            SamplingState state = new SamplingState(topTwo, runSeed + i, vocab, new int[] {1}, new FixedMask(mask));
            drawn.add(sampler.sample(logits, 0, state));
        }
        assertEquals(Set.of(best, LogitTransforms.argmax(others, vocab)), drawn, "seed " + runSeed);
    }

    @Test
    void aConstraintWhoseTokensAllScoreMinusInfinityIsAnError() {
        float[] logits = RandomLogits.uniform(rng, 40, 2);
        logits[33] = Float.NEGATIVE_INFINITY;
        int[] mask = {0, 1 << 1};
        SamplingState state = new SamplingState(SamplingParams.greedy(4), runSeed, 40, new int[] {1}, new FixedMask(mask));
        FloodException e = assertThrows(FloodException.class, () -> sampler.sample(logits, 0, state));
        assertEquals("every token the output's constraint allows has logit -Infinity", e.getMessage());
    }

    @Test
    void sameSeedAndStepGiveTheSameTokenWhateverTheBatch() {
        int vocab = 19;
        int numSteps = 37;
        float[][] stepLogits = new float[numSteps][];
        for (int step = 0; step < numSteps; step++) {
            stepLogits[step] = RandomLogits.uniform(rng, vocab, 2);
        }
        SamplingParams params = SamplingParams.builder().temperature(0.9).topK(11).topP(0.95).minP(0.01)
                .repetitionPenalty(1.1).frequencyPenalty(0.2).build();
        long seed = rng.nextLong();
        List<Integer> alone = generate(params, seed, stepLogits, null);
        SamplingState neighbour = new SamplingState(params, seed ^ 1, vocab, new int[] {2});
        List<Integer> batched = generate(params, seed, stepLogits, neighbour);
        assertEquals(alone, batched, "seed " + runSeed);
        List<Integer> otherSeed = generate(params, seed + 1, stepLogits, null);
        assertNotEquals(alone, otherSeed, "seed " + runSeed);
    }

    @Test
    void differentSeedsGiveDifferentSequencesOverFiftyDraws() {
        float[] logits = RandomLogits.uniform(rng, 19, 0.1);
        SamplingParams params = SamplingParams.builder().temperature(1).build();
        long seed = rng.nextLong();
        SamplingState first = new SamplingState(params, seed, 19, new int[0]);
        SamplingState second = new SamplingState(params, seed + 1, 19, new int[0]);
        SamplingState same = new SamplingState(params, seed, 19, new int[0]);
        int[] firstTokens = new int[50];
        int[] secondTokens = new int[50];
        int[] sameTokens = new int[50];
        float[] scratch = RandomLogits.uniform(rng, 23, 7);
        for (int step = 0; step < 50; step++) {
            firstTokens[step] = sampler.sample(logits, 0, first);
            secondTokens[step] = sampler.sample(logits, 0, second);
            sameTokens[step] = sampler.sample(logits, 0, same, scratch);
            first.accept(firstTokens[step]);
            second.accept(secondTokens[step]);
            same.accept(sameTokens[step]);
        }
        assertArrayEquals(firstTokens, sameTokens, "seed " + runSeed);
        assertFalse(Arrays.equals(firstTokens, secondTokens), "seed " + runSeed);
    }

    @Test
    void readsOneRowAtAnOffsetAndLeavesTheArrayUntouched() {
        int vocab = 19;
        float[] rows = RandomLogits.uniform(rng, 3 * vocab, 3);
        float[] before = rows.clone();
        SamplingParams params = SamplingParams.builder().temperature(0.7).topK(5).topP(0.9).minP(0.02)
                .repetitionPenalty(1.4).presencePenalty(0.5).build();
        SamplingState atOffset = new SamplingState(params, runSeed, vocab, new int[] {3, 8});
        SamplingState copied = new SamplingState(params, runSeed, vocab, new int[] {3, 8});
        for (int step = 0; step < 40; step++) {
            int token = sampler.sample(rows, vocab, atOffset);
            assertEquals(sampler.sample(Arrays.copyOfRange(rows, vocab, 2 * vocab), 0, copied), token,
                    "seed " + runSeed + ", step " + step);
            atOffset.accept(token);
            copied.accept(token);
        }
        assertArrayEquals(before, rows, "seed " + runSeed);
    }

    @Test
    void rejectsRowsThatCannotBeSampled() {
        SamplingState state = new SamplingState(SamplingParams.builder().temperature(1).build(), 5, 19, new int[0]);
        float[] rows = RandomLogits.uniform(rng, 38, 2);
        rows[19 + 5] = Float.NaN;
        assertEquals("logit of token 5 (logits[24]) is NaN",
                assertThrows(FloodException.class, () -> sampler.sample(rows, 19, state)).getMessage());
        rows[3] = Float.POSITIVE_INFINITY;
        assertEquals("logit of token 3 (logits[3]) is Infinity",
                assertThrows(FloodException.class, () -> sampler.sample(rows, 0, state)).getMessage());
        float[] masked = new float[19];
        Arrays.fill(masked, Float.NEGATIVE_INFINITY);
        assertEquals("every logit of the row at logits[0] is -Infinity",
                assertThrows(FloodException.class, () -> sampler.sample(masked, 0, state)).getMessage());
        assertEquals("logits row [12, 31) is outside an array of 30 floats",
                assertThrows(IllegalArgumentException.class, () -> sampler.sample(new float[30], 12, state))
                        .getMessage());
        assertEquals("scratch holds 10 floats, vocab is 19", assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(new float[19], 0, state, new float[10])).getMessage());
    }

    @Test
    void rejectsATemperatureThatOverflowsAScore() {
        float[] logits = RandomLogits.uniform(rng, 7, 1);
        logits[2] = 3e30f;
        SamplingState state = new SamplingState(SamplingParams.builder().temperature(1e-10).build(), 5, 7,
                new int[0]);
        assertEquals("the score of token 2 overflows to Infinity after penalties and temperature 1.0E-10",
                assertThrows(FloodException.class, () -> sampler.sample(logits, 0, state)).getMessage());
    }

    private int idOtherThan(int excluded, int vocab) {
        int id = rng.nextInt(vocab - 1);
        return id < excluded ? id : id + 1;
    }

    /** Draws {@code numDraws} tokens with counters 0, 1, ... (accepting each) and counts them per id. */
    private int[] drawMany(float[] logits, SamplingParams.Builder params, int numDraws) {
        SamplingState state = new SamplingState(params.build(), rng.nextLong(), logits.length, new int[0]);
        float[] scratch = new float[logits.length];
        int[] counts = new int[logits.length];
        for (int draw = 0; draw < numDraws; draw++) {
            int token = sampler.sample(logits, 0, state, scratch);
            counts[token]++;
            state.accept(token);
        }
        return counts;
    }

    /** One request over the given per-step logits; if {@code neighbour} is set, it is sampled between steps. */
    private List<Integer> generate(SamplingParams params, long seed, float[][] stepLogits, SamplingState neighbour) {
        int vocab = stepLogits[0].length;
        SamplingState state = new SamplingState(params, seed, vocab, new int[] {1, 4, 1});
        List<Integer> tokens = new ArrayList<>();
        for (float[] logits : stepLogits) {
            if (neighbour != null) {
                neighbour.accept(sampler.sample(RandomLogits.uniform(rng, vocab, 2), 0, neighbour));
            }
            int token = sampler.sample(logits, 0, state);
            state.accept(token);
            tokens.add(token);
        }
        return tokens;
    }

    /** Hugging Face's repetition penalty then vLLM's presence/frequency penalties, written independently. */
    private static int naivePenalizedArgmax(float[] logits, int[] prompt, int[] generated, SamplingParams params) {
        float[] scores = logits.clone();
        Set<Integer> seen = new HashSet<>();
        Map<Integer, Integer> counts = new HashMap<>();
        for (int id : prompt) {
            seen.add(id);
        }
        for (int id : generated) {
            seen.add(id);
            counts.merge(id, 1, Integer::sum);
        }
        float penalty = (float) params.repetitionPenalty();
        for (int id : seen) {
            scores[id] = scores[id] < 0 ? scores[id] * penalty : scores[id] / penalty;
        }
        for (Map.Entry<Integer, Integer> entry : counts.entrySet()) {
            scores[entry.getKey()] -= (float) (params.frequencyPenalty() * entry.getValue() + params.presencePenalty());
        }
        int best = 0;
        for (int id = 1; id < scores.length; id++) {
            if (scores[id] > scores[best]) {
                best = id;
            }
        }
        return best;
    }
}
