package dev.flood.sampling;

import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
import dev.flood.api.TokenLogprobs;
import dev.flood.api.TopLogprob;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The CPU reference sampler: picks one token from one logits row and reports log-probabilities. Stateless; a
 * request's history lives in its {@link SamplingState}. The GPU sampling kernel reimplements {@link #sample}
 * step by step and is tested against it.
 *
 * <p>{@code sample} copies the row {@code logits[offset .. offset + vocab)} into a float32 scratch row (the
 * caller's array is never written) and applies, in Hugging Face's order (details in {@link LogitTransforms}):
 * <ol type="a">
 *   <li>the request's output constraint, if it has one: every token its mask does not allow scores
 *       {@code -Infinity} (so no later step can bring it back);
 *   <li>repetition penalty over prompt and generated ids, if {@code repetitionPenalty != 1};
 *   <li>presence and frequency penalties over generated ids, if either is non-zero;
 *   <li>greedy ({@code temperature == 0}): return the argmax, ties to the lowest id. Otherwise:
 *   <li>divide by the temperature;
 *   <li>top-k, if {@code 0 < topK < vocab} (k >= vocab keeps every token);
 *   <li>top-p, if {@code topP < 1};
 *   <li>min-p, if {@code minP > 0};
 *   <li>softmax over the remaining tokens and inverse-CDF sampling in ascending id order with
 *       {@code u = CounterRng.uniform(state.seed(), counter)}, the counter being the draw's ({@link Draw}), by
 *       default {@code state.numGenerated()}.
 * </ol>
 * Logits may hold {@code -Infinity} (a masked token) but not NaN or {@code +Infinity} (checked over the whole row,
 * allowed or not); a row with no finite logit, among the allowed tokens if constrained, or one the temperature
 * overflows, is an error.
 */
public final class Sampler {

    /**
     * Samples the next token of the request; the caller then passes it to {@link SamplingState#accept}. Allocates
     * a scratch row; the engine's hot path passes its own to the four-argument form.
     */
    public int sample(float[] logits, int offset, SamplingState state) {
        return sample(logits, offset, state, new float[state.vocabSize()]);
    }

    /**
     * As {@link #sample(float[], int, SamplingState)}, using {@code scratch[0 .. vocab)} as the working row (its
     * contents on entry are ignored and on return are unspecified).
     */
    public int sample(float[] logits, int offset, SamplingState state, float[] scratch) {
        return sample(logits, offset, Draw.next(Objects.requireNonNull(state, "state")), scratch);
    }

    /**
     * As {@link #sample(float[], int, SamplingState, float[])}, with the seeded draw at {@code draw.counter()}
     * instead of the state's {@code numGenerated()}: a draw for a token that comes after others still in flight.
     */
    public int sample(float[] logits, int offset, Draw draw, float[] scratch) {
        Objects.requireNonNull(draw, "draw");
        SamplingState state = draw.state();
        SamplingParams params = state.params();
        int vocab = state.vocabSize();
        if (scratch.length < vocab) {
            throw new IllegalArgumentException("scratch holds " + scratch.length + " floats, vocab is " + vocab);
        }
        // Rejected up front: what no transform can repair. Penalties and temperature keep finite scores finite
        // (overflow aside, checked in applyWarpers) and every filter keeps the top token.
        maxChecked(logits, offset, vocab);
        System.arraycopy(logits, offset, scratch, 0, vocab);
        if (state.constraint() != null) {
            LogitTransforms.applyMask(scratch, vocab, state.constraint().allowedTokens());
            if (scratch[LogitTransforms.argmax(scratch, vocab)] == Float.NEGATIVE_INFINITY) {
                throw new FloodException("every token the output's constraint allows has logit -Infinity");
            }
        }
        applyPenalties(scratch, state);
        if (params.isGreedy()) {
            return LogitTransforms.argmax(scratch, vocab);
        }
        float maxScore = applyWarpers(scratch, vocab, params);
        double u = CounterRng.uniform(state.seed(), draw.counter());
        return LogitTransforms.drawInverseCdf(scratch, vocab, maxScore, u);
    }

    /**
     * The chosen token's log-probability and the {@code topN} most likely tokens, best
     * first (ties: lower id first), under the log-softmax of the raw logits, before penalties, temperature and
     * filters (as vLLM reports by default). The normalizer {@code max + log(sum(exp(x - max)))} is accumulated
     * in double; each value is {@code (double) x - normalizer}. One pass for the normalizer and one partial
     * selection ({@link TopTokens}), so a 150k vocabulary with top 20 costs about two passes over the row.
     */
    public static RowLogprobs rowLogprobs(float[] logits, int offset, int vocab, int chosenToken, int topN) {
        checkToken(chosenToken, vocab);
        double normalizer = logSumExp(logits, offset, vocab);
        int[] top = TopTokens.select(logits, offset, vocab, Math.min(topN, vocab));
        double[] topLogprobs = new double[top.length];
        for (int i = 0; i < top.length; i++) {
            topLogprobs[i] = logits[offset + top[i]] - normalizer;
        }
        return new RowLogprobs(logits[offset + chosenToken] - normalizer, top, topLogprobs);
    }

    /** A backend's row of log-probabilities as the API reports it: the first {@code topN} alternatives, with texts. */
    public static TokenLogprobs toTokenLogprobs(int chosenToken, RowLogprobs row, int topN,
                                                IntFunction<String> tokenText) {
        int count = Math.min(topN, row.topTokenIds().length);
        List<TopLogprob> top = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            top.add(new TopLogprob(row.topTokenIds()[i], tokenText.apply(row.topTokenIds()[i]), row.topLogprobs()[i]));
        }
        return new TokenLogprobs(chosenToken, row.chosenLogprob(), top);
    }

    /**
     * {@code log_softmax(logits[offset .. offset + vocab))[tokenId]} in double: {@code x[tokenId] - max -
     * log(sum(exp(x - max)))}, for scoring prompt tokens.
     */
    public static double logSoftmaxAt(float[] logits, int offset, int vocab, int tokenId) {
        checkToken(tokenId, vocab);
        double normalizer = logSumExp(logits, offset, vocab);
        return logits[offset + tokenId] - normalizer;
    }

    /** Steps a and b, in place on {@code scores}. */
    static void applyPenalties(float[] scores, SamplingState state) {
        SamplingParams params = state.params();
        if (params.repetitionPenalty() != 1) {
            LogitTransforms.applyRepetitionPenalty(scores, state.tokens(), params.repetitionPenalty());
        }
        if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
            LogitTransforms.applyPresenceFrequency(scores, state.tokens(), params.presencePenalty(),
                    params.frequencyPenalty());
        }
    }

    /** Steps d to g, in place on {@code scores}; returns the highest score, which every filter keeps. */
    static float applyWarpers(float[] scores, int vocab, SamplingParams params) {
        if (params.temperature() != 1) {
            LogitTransforms.divideByTemperature(scores, vocab, params.temperature());
        }
        int best = LogitTransforms.argmax(scores, vocab);
        float maxScore = scores[best];
        if (maxScore == Float.POSITIVE_INFINITY) {
            throw new FloodException("the score of token " + best + " overflows to Infinity after penalties and"
                    + " temperature " + params.temperature());
        }
        if (params.topK() > 0 && params.topK() < vocab) {
            LogitTransforms.keepTopK(scores, vocab, params.topK());
        }
        if (params.topP() < 1) {
            LogitTransforms.keepTopP(scores, vocab, params.topP(), maxScore);
        }
        if (params.minP() > 0) {
            LogitTransforms.keepMinP(scores, vocab, params.minP(), maxScore);
        }
        return maxScore;
    }

    /** {@code max + log(sum(exp(x - max)))} over the row, in double. */
    private static double logSumExp(float[] logits, int offset, int vocab) {
        float max = maxChecked(logits, offset, vocab);
        double sum = 0;
        for (int id = 0; id < vocab; id++) {
            sum += Math.exp((double) logits[offset + id] - max);
        }
        return max + Math.log(sum);
    }

    /** The row's highest logit. The row must lie inside the array, hold no NaN or +Infinity, and not be all -Inf. */
    private static float maxChecked(float[] logits, int offset, int vocab) {
        if (vocab < 1 || offset < 0 || offset > logits.length - vocab) {
            throw new IllegalArgumentException("logits row [" + offset + ", " + ((long) offset + vocab)
                    + ") is outside an array of " + logits.length + " floats");
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int id = 0; id < vocab; id++) {
            float logit = logits[offset + id];
            if (Float.isNaN(logit) || logit == Float.POSITIVE_INFINITY) {
                throw new FloodException("logit of token " + id + " (logits[" + (offset + id) + "]) is " + logit);
            }
            max = Math.max(max, logit);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new FloodException("every logit of the row at logits[" + offset + "] is -Infinity");
        }
        return max;
    }

    private static void checkToken(int tokenId, int vocab) {
        if (tokenId < 0 || tokenId >= vocab) {
            throw new IllegalArgumentException("token id " + tokenId + " is outside the vocabulary [0, " + vocab + ")");
        }
    }
}
