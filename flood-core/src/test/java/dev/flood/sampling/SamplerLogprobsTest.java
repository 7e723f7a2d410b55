package dev.flood.sampling;

import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
import dev.flood.api.TokenLogprobs;
import dev.flood.api.TopLogprob;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Sampler#rowLogprobs} (as the API reports it, through {@link Sampler#toTokenLogprobs}) and
 * {@link Sampler#logSoftmaxAt} against a log-softmax computed another way:
 * {@code log(exp(x_i - max) / sum(exp(x - max)))} in double. Tolerance 1e-9 absolute: both sides accumulate
 * in double over at most 151,936 terms, a relative error below 151,936 * 2^-53 = 1.7e-11 in the sum, which is
 * the absolute error of its logarithm; 1e-9 leaves a margin for the final subtraction and log.
 */
class SamplerLogprobsTest {

    private static final double TOLERANCE = 1e-9;
    private static final int FULL_VOCAB = 151_936;
    private final long runSeed = RandomLogits.freshSeed();
    private final SplittableRandom rng = new SplittableRandom(runSeed);

    @Test
    void valuesAreTheLogSoftmaxOfTheRawLogits() {
        int vocab = 19;
        float[] rows = RandomLogits.uniform(rng, 2 * vocab + 3, 6);
        float[] row = Arrays.copyOfRange(rows, vocab, 2 * vocab);
        double[] expected = logSoftmax(row);
        // Penalties and temperature must not change the reported values: vLLM reports the raw distribution.
        SamplingState state = state(SamplingParams.builder().temperature(0.3).repetitionPenalty(1.7).logprobs(19),
                vocab);
        state.accept(4);
        int chosen = rng.nextInt(vocab);
        TokenLogprobs result = logprobs(rows, vocab, state, chosen, id -> "t" + id);
        assertEquals(chosen, result.tokenId());
        assertEquals(expected[chosen], result.logprob(), TOLERANCE, "seed " + runSeed);
        assertEquals(19, result.top().size());
        for (TopLogprob top : result.top()) {
            assertEquals(expected[top.tokenId()], top.logprob(), TOLERANCE, "seed " + runSeed);
            assertEquals("t" + top.tokenId(), top.token());
        }
        for (int id = 0; id < vocab; id++) {
            assertEquals(expected[id], Sampler.logSoftmaxAt(rows, vocab, vocab, id), TOLERANCE, "seed " + runSeed);
        }
    }

    @Test
    void topIsOrderedByProbabilityWithTiesToTheLowerId() {
        float[] logits = RandomLogits.uniform(rng, 19, 2);
        logits[11] = 4f;
        logits[3] = 4f;
        logits[7] = 4f;
        logits[15] = 3f;
        logits[0] = 3f;
        SamplingState state = state(SamplingParams.builder().logprobs(5), 19);
        TokenLogprobs result = logprobs(logits, 0, state, 15, id -> "t" + id);
        assertEquals(List.of(3, 7, 11, 0, 15), ids(result.top()), "seed " + runSeed);
        assertEquals(result.top().get(0).logprob(), result.top().get(2).logprob(), 0.0, "equal logits, equal values");
        assertEquals(result.top().get(4).logprob(), result.logprob(), 0.0, "the chosen token is the 5th");
    }

    @Test
    void noTopTokensWhenTheRequestAsksForNone() {
        TokenLogprobs result = logprobs(RandomLogits.uniform(rng, 7, 2), 0, state(SamplingParams.builder(),
                7), 6, id -> "t" + id);
        assertEquals(List.of(), result.top());
    }

    @Test
    void fullVocabularyTopTwentyMatchesASort() {
        float[] logits = RandomLogits.uniform(rng, FULL_VOCAB, 12);
        double[] expected = logSoftmax(logits);
        List<Integer> sorted = Arrays.stream(sortedIds(logits)).limit(20).boxed().collect(Collectors.toList());
        int chosen = rng.nextInt(FULL_VOCAB);
        SamplingState state = state(SamplingParams.builder().logprobs(SamplingParams.MAX_LOGPROBS), FULL_VOCAB);
        TokenLogprobs result = logprobs(logits, 0, state, chosen, id -> "t" + id);
        assertEquals(sorted, ids(result.top()), "seed " + runSeed);
        assertEquals(expected[chosen], result.logprob(), TOLERANCE, "seed " + runSeed);
        for (TopLogprob top : result.top()) {
            assertEquals(expected[top.tokenId()], top.logprob(), TOLERANCE, "seed " + runSeed);
        }
    }

    @Test
    void logSoftmaxAtHandlesMaskedTokensAndSumsToOne() {
        float[] logits = RandomLogits.uniform(rng, 111, 20);
        logits[17] = Float.NEGATIVE_INFINITY;
        assertEquals(Double.NEGATIVE_INFINITY, Sampler.logSoftmaxAt(logits, 0, 111, 17));
        double total = 0;
        for (int id = 0; id < 111; id++) {
            total += Math.exp(Sampler.logSoftmaxAt(logits, 0, 111, id));
        }
        // 111 probabilities, each with relative error ~1e-15 from exp and the normalizer.
        assertEquals(1.0, total, 1e-12, "seed " + runSeed);
    }

    @Test
    void rejectsBadTokensAndRows() {
        float[] logits = RandomLogits.uniform(rng, 19, 2);
        assertEquals("token id 19 is outside the vocabulary [0, 19)", assertThrows(IllegalArgumentException.class,
                () -> Sampler.logSoftmaxAt(logits, 0, 19, 19)).getMessage());
        assertEquals("logits row [5, 24) is outside an array of 19 floats",
                assertThrows(IllegalArgumentException.class, () -> Sampler.logSoftmaxAt(logits, 5, 19, 0))
                        .getMessage());
        logits[8] = Float.NaN;
        assertEquals("logit of token 8 (logits[8]) is NaN", assertThrows(FloodException.class,
                () -> logprobs(logits, 0, state(SamplingParams.builder(), 19), 1, id -> "")).getMessage());
    }

    private SamplingState state(SamplingParams.Builder params, int vocab) {
        return new SamplingState(params.build(), runSeed, vocab, new int[] {1, 2});
    }

    private static List<Integer> ids(List<TopLogprob> top) {
        return top.stream().map(TopLogprob::tokenId).collect(Collectors.toList());
    }

    /** All ids by descending logit, ties by ascending id: a full sort, the slow way. */
    private static int[] sortedIds(float[] logits) {
        Integer[] ids = new Integer[logits.length];
        for (int id = 0; id < ids.length; id++) {
            ids[id] = id;
        }
        Comparator<Integer> byLogit = Comparator.comparingDouble(id -> -logits[id]);
        Arrays.sort(ids, byLogit.thenComparing(Comparator.naturalOrder()));
        return Arrays.stream(ids).mapToInt(Integer::intValue).toArray();
    }

    private static double[] logSoftmax(float[] logits) {
        double[] probs = HfWarpers.softmax(logits);
        double[] result = new double[logits.length];
        for (int id = 0; id < logits.length; id++) {
            result[id] = Math.log(probs[id]);
        }
        assertTrue(Arrays.stream(result).allMatch(Double::isFinite), "test logits must not underflow");
        return result;
    }

    /** A row's log-probabilities with the request's top count, as the engine reports them. */
    private static TokenLogprobs logprobs(float[] logits, int offset, SamplingState state, int chosen,
                                          IntFunction<String> tokenText) {
        int topN = state.params().logprobs();
        return Sampler.toTokenLogprobs(chosen, Sampler.rowLogprobs(logits, offset, state.vocabSize(), chosen, topN),
                topN, tokenText);
    }
}
