package dev.flood.sampling;

import dev.flood.api.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.flood.sampling.RandomLogits.keptIds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Each transform against hand-computed expectations, and the warpers against {@link HfWarpers}. Scores are
 * compared exactly: the reference defines each transform as specific float32 operations, so the expected values
 * are those same operations written out; kept sets are compared exactly because they are sets of ids.
 */
class LogitTransformsTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private final long runSeed = RandomLogits.freshSeed();
    private final SplittableRandom rng = new SplittableRandom(runSeed);

    @Test
    void repetitionPenaltyMultipliesNegativeAndDividesPositiveScores() {
        float[] scores = {2.0f, -1.5f, 0.5f, -0.25f, 3.0f, -2.0f, 1.0f};
        SamplingState state = state(SamplingParams.builder().repetitionPenalty(1.5), 7, 0, 1);
        state.accept(1);
        state.accept(3);
        Sampler.applyPenalties(scores, state);
        // Seen: 0, 1 (prompt), 1, 3 (generated); id 1 is penalized once although seen twice.
        assertArrayEquals(new float[] {2.0f / 1.5f, -2.25f, 0.5f, -0.375f, 3.0f, -2.0f, 1.0f}, scores);
    }

    @Test
    void presenceAndFrequencyPenalizeGeneratedTokensOnly() {
        float[] scores = {2.0f, -1.5f, 0.5f, -0.25f, 3.0f, -2.0f, 1.0f};
        SamplingState state = state(SamplingParams.builder().presencePenalty(0.5).frequencyPenalty(0.25), 7, 0);
        for (int id : new int[] {2, 2, 5, 2}) {
            state.accept(id);
        }
        Sampler.applyPenalties(scores, state);
        // id 2: 3 occurrences -> 0.5 - (0.25 * 3 + 0.5); id 5: 1 occurrence -> -2 - (0.25 + 0.5); prompt id 0 kept.
        assertArrayEquals(new float[] {2.0f, -1.5f, -0.75f, -0.25f, 3.0f, -2.75f, 1.0f}, scores);
    }

    @Test
    void repetitionPenaltyComesBeforePresencePenalty() {
        float[] scores = {2.0f, -1.5f, 0.5f, -0.25f, 3.0f, -2.0f, 1.0f};
        SamplingState state = state(SamplingParams.builder().repetitionPenalty(2).presencePenalty(1), 7);
        state.accept(1);
        Sampler.applyPenalties(scores, state);
        // -1.5 * 2 - 1 = -4; the other order would give (-1.5 - 1) * 2 = -5.
        assertEquals(-4.0f, scores[1]);
    }

    @Test
    void topKKeepsEveryTokenTiedWithTheKth() {
        float[] base = {1.0f, 3.0f, 2.0f, 3.0f, 2.0f, 0.5f, 2.0f};
        assertEquals(List.of(1, 2, 3, 4, 6), keptAfterTopK(base, 3), "k = 3: the 3rd highest is 2, tied thrice");
        assertEquals(List.of(1, 3), keptAfterTopK(base, 2));
        assertEquals(List.of(1, 3), keptAfterTopK(base, 1), "k = 1 with a tie at the top keeps both");
        assertEquals(List.of(0, 1, 2, 3, 4, 6), keptAfterTopK(base, 6));
    }

    @Test
    void topKAtOrAboveVocabularyKeepsAll() {
        float[] logits = RandomLogits.uniform(rng, 7, 3);
        for (int topK : new int[] {7, 50}) {
            float[] scores = logits.clone();
            Sampler.applyWarpers(scores, 7, SamplingParams.builder().temperature(1).topK(topK).build());
            assertEquals(7, keptIds(scores, 7).size(), "seed " + runSeed + ", k = " + topK);
        }
    }

    @Test
    void topPRemovesATokenWhoseCumulativeProbabilityEqualsTheThreshold() {
        // Eight equal scores: each probability is exactly 1/8, so cumulative sums are exact. With top_p = 0.75,
        // Hugging Face removes tokens with ascending cumulative <= 0.25: exactly two (the cumulative of the second
        // equals 0.25). Among ties the lower ids rank higher and are kept.
        float value = (float) (rng.nextDouble() * 4 + 0.1);
        float[] equal = new float[8];
        Arrays.fill(equal, value);
        assertEquals(List.of(0, 1, 2, 3, 4, 5), keptAfterTopP(equal, 0.75), "seed " + runSeed);
        assertEquals(List.of(0, 1, 2, 3, 4), keptAfterTopP(equal, 0.625), "seed " + runSeed);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), keptAfterTopP(equal, Math.nextUp(0.75)), "seed " + runSeed);
    }

    @Test
    void topKThenTopPOnNineteenTokens() {
        // 8 tokens tied at the top (random ids), 11 lower: top-k 8 keeps the tied 8, each then with probability
        // exactly 1/8, and top-p 0.75 keeps the 6 of them with the lowest ids.
        int vocab = 19;
        float top = (float) (rng.nextDouble() * 4);
        List<Integer> ids = IntStream.range(0, vocab).boxed().collect(Collectors.toList());
        Collections.shuffle(ids, new Random(runSeed));
        List<Integer> tied = ids.subList(0, 8).stream().sorted().collect(Collectors.toList());
        float[] scores = new float[vocab];
        for (int id = 0; id < vocab; id++) {
            scores[id] = tied.contains(id) ? top : top - 1 - (float) (rng.nextDouble() * 3);
        }
        SamplingParams params = SamplingParams.builder().temperature(1).topK(8).topP(0.75).build();
        Sampler.applyWarpers(scores, vocab, params);
        assertEquals(tied.subList(0, 6), keptIds(scores, vocab), "seed " + runSeed);
    }

    @Test
    void tinyTopPKeepsOnlyTheMostLikelyToken() {
        float[] logits = RandomLogits.uniform(rng, 19, 3);
        float[] scores = logits.clone();
        Sampler.applyWarpers(scores, 19, SamplingParams.builder().temperature(1).topP(1e-9).build());
        assertEquals(List.of(LogitTransforms.argmax(logits, 19)), keptIds(scores, 19), "seed " + runSeed);
    }

    @Test
    void minPRemovesTokensBelowAFractionOfTheTopProbability() {
        // Ratios to the top token (id 4, score 2.5): exp(-0.5) = 0.61, exp(-1.5) = 0.22, exp(-2.5) = 0.082,
        // exp(-3.5) = 0.030, exp(-5.5) = 0.004, exp(-2.2) = 0.111.
        float[] scores = {2.0f, 1.0f, 0.0f, -1.0f, 2.5f, -3.0f, 0.3f};
        LogitTransforms.keepMinP(scores, 7, 0.1, 2.5f);
        assertEquals(List.of(0, 1, 4, 6), keptIds(scores, 7));
        LogitTransforms.keepMinP(scores, 7, 0.3, 2.5f);
        assertEquals(List.of(0, 4), keptIds(scores, 7));
        LogitTransforms.keepMinP(scores, 7, 1.0, 2.5f);
        assertEquals(List.of(4), keptIds(scores, 7));
    }

    @Test
    void temperatureComesBeforeTopP() {
        // Softmax(2, 1, 0, -1, -2, -3, -4): the top token holds 0.633, so top_p = 0.8 keeps two tokens. At
        // temperature 0.5 the scores double and the top token holds 0.865 >= 0.8: only it is kept. Ids shuffled.
        float[] pattern = {2, 1, 0, -1, -2, -3, -4};
        List<Integer> ids = IntStream.range(0, 7).boxed().collect(Collectors.toList());
        Collections.shuffle(ids, new Random(runSeed));
        float[] logits = new float[7];
        for (int rank = 0; rank < 7; rank++) {
            logits[ids.get(rank)] = pattern[rank];
        }
        float[] topPFirst = logits.clone();
        LogitTransforms.keepTopP(topPFirst, 7, 0.8, 2f);
        assertEquals(List.of(ids.get(0), ids.get(1)).stream().sorted().collect(Collectors.toList()),
                keptIds(topPFirst, 7), "seed " + runSeed);
        float[] scores = logits.clone();
        Sampler.applyWarpers(scores, 7, SamplingParams.builder().temperature(0.5).topP(0.8).build());
        assertEquals(List.of(ids.get(0)), keptIds(scores, 7), "seed " + runSeed);
    }

    @Test
    void warpersMatchHuggingFaceOnRandomSmallRows() {
        for (int trial = 0; trial < 301; trial++) {
            int vocab = trial % 2 == 0 ? 19 : 7;
            float[] logits = RandomLogits.uniform(rng, vocab, 4);
            double temperature = 0.2 + rng.nextDouble() * 2;
            int topK = rng.nextInt(vocab + 3);
            double topP = rng.nextInt(4) == 0 ? 1 : 0.05 + rng.nextDouble() * 0.95;
            double minP = rng.nextInt(3) == 0 ? 0 : rng.nextDouble() * 0.5;
            assertWarpersMatch(logits, temperature, topK, topP, minP);
        }
    }

    @Test
    void warpersMatchHuggingFaceOnAFullVocabulary() {
        float[] logits = RandomLogits.uniform(rng, 151_936, 10);
        assertWarpersMatch(logits, 0.8, 0, 0.9, 0);
        assertWarpersMatch(logits, 1.0, 0, 0.97, 0.001);
        assertWarpersMatch(logits, 0.6, 40, 0.95, 0.05);
    }

    @Test
    void inverseCdfWalksAscendingIdsAndSkipsRemovedTokens() {
        // Four kept tokens with weight exactly 1 (score == maxScore), total 4: u * 4 picks the floor(u * 4)-th.
        float[] scores = {0f, NEG_INF, 0f, 0f, NEG_INF, 0f, NEG_INF};
        assertEquals(0, LogitTransforms.drawInverseCdf(scores, 7, 0f, 0.0));
        assertEquals(0, LogitTransforms.drawInverseCdf(scores, 7, 0f, Math.nextDown(0.25)));
        assertEquals(2, LogitTransforms.drawInverseCdf(scores, 7, 0f, 0.25));
        assertEquals(3, LogitTransforms.drawInverseCdf(scores, 7, 0f, 0.5));
        assertEquals(5, LogitTransforms.drawInverseCdf(scores, 7, 0f, 0.75));
        assertEquals(5, LogitTransforms.drawInverseCdf(scores, 7, 0f, Math.nextDown(1.0)));
    }

    private void assertWarpersMatch(float[] logits, double temperature, int topK, double topP, double minP) {
        int vocab = logits.length;
        float[] scores = logits.clone();
        SamplingParams params = SamplingParams.builder().temperature(temperature).topK(topK).topP(topP).minP(minP)
                .build();
        Sampler.applyWarpers(scores, vocab, params);
        float[] expected = HfWarpers.warp(logits, temperature, topK, topP, minP);
        String context = "seed " + runSeed + ", vocab " + vocab + ", T " + temperature + ", k " + topK + ", p "
                + topP + ", min_p " + minP;
        assertEquals(keptIds(expected, vocab), keptIds(scores, vocab), context);
        assertArrayEquals(expected, scores, context);
        assertNotEquals(0, keptIds(scores, vocab).size(), context);
    }

    private static List<Integer> keptAfterTopK(float[] base, int topK) {
        float[] scores = base.clone();
        LogitTransforms.keepTopK(scores, scores.length, topK);
        return keptIds(scores, scores.length);
    }

    private static List<Integer> keptAfterTopP(float[] base, double topP) {
        float[] scores = base.clone();
        LogitTransforms.keepTopP(scores, scores.length, topP, base[0]);
        return keptIds(scores, scores.length);
    }

    private static SamplingState state(SamplingParams.Builder params, int vocab, int... prompt) {
        return new SamplingState(params.temperature(1).build(), 11, vocab, prompt);
    }
}
