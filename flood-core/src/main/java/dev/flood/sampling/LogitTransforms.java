package dev.flood.sampling;

/**
 * The logit transforms of {@link Sampler}, each in place on {@code scores[0 .. vocab)} (float32, indexed by token
 * id). A filter removes a token by setting its score to {@code -Infinity}, as Hugging Face's warpers do, so a
 * removed token has probability 0 in every later step. Scores are never NaN here; {@link Sampler} rejects NaN
 * logits before the first transform.
 *
 * <p>Arithmetic on scores is float32, one rounding per operation, as PyTorch does it on float32 logits.
 * Probabilities are formed in double from {@code w_i = exp((double) s_i - (double) maxScore)}, which is the
 * unnormalized softmax: {@code p_i = w_i / sum(w)}, and {@code p_i / p_max = w_i} because the top token has
 * {@code w = 1}.
 */
final class LogitTransforms {

    private LogitTransforms() {
    }

    /**
     * Keeps the tokens a constraint allows: {@code mask} has {@code ceil(vocab / 32)} words, token t allowed iff
     * bit {@code t % 32} of word {@code t / 32} is set; every other score becomes {@code -Infinity}.
     */
    static void applyMask(float[] scores, int vocab, int[] mask) {
        if (mask.length < (vocab + 31) / 32) {
            throw new IllegalArgumentException("a token mask of " + mask.length + " words for a vocabulary of " + vocab);
        }
        for (int id = 0; id < vocab; id++) {
            if ((mask[id >>> 5] & (1 << (id & 31))) == 0) {
                scores[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Hugging Face's {@code RepetitionPenaltyLogitsProcessor} over every id present in {@code tokens} (prompt and
     * generated): {@code s < 0 ? s * penalty : s / penalty}, so a penalty > 1 always makes a seen token less
     * likely. Each distinct id is penalized once, however often it occurred.
     */
    static void applyRepetitionPenalty(float[] scores, TokenCounts tokens, double penalty) {
        float factor = (float) penalty;
        for (int slot = 0; slot < tokens.capacity(); slot++) {
            int tokenId = tokens.idAt(slot);
            if (tokenId != TokenCounts.EMPTY) {
                float score = scores[tokenId];
                scores[tokenId] = score < 0 ? score * factor : score / factor;
            }
        }
    }

    /**
     * OpenAI / vLLM presence and frequency penalties over generated tokens: {@code s -= (float) (frequency * count
     * + presence)} for every id with {@code count > 0} (the penalty is formed in double, rounded to float once,
     * then subtracted). Prompt-only ids (count 0) are untouched.
     */
    static void applyPresenceFrequency(float[] scores, TokenCounts tokens, double presence, double frequency) {
        for (int slot = 0; slot < tokens.capacity(); slot++) {
            int tokenId = tokens.idAt(slot);
            int count = tokens.countAt(slot);
            if (tokenId != TokenCounts.EMPTY && count > 0) {
                scores[tokenId] -= (float) (frequency * count + presence);
            }
        }
    }

    /** Hugging Face's {@code TemperatureLogitsWarper}: {@code s / (float) temperature}. */
    static void divideByTemperature(float[] scores, int vocab, double temperature) {
        float divisor = (float) temperature;
        for (int id = 0; id < vocab; id++) {
            scores[id] /= divisor;
        }
    }

    /** The lowest id holding the highest score ({@code torch.argmax}'s tie rule). */
    static int argmax(float[] scores, int vocab) {
        int best = 0;
        for (int id = 1; id < vocab; id++) {
            if (scores[id] > scores[best]) {
                best = id;
            }
        }
        return best;
    }

    /**
     * Hugging Face's {@code TopKLogitsWarper}: remove every token whose score is below the k-th highest score.
     * Tokens tied with the k-th are kept, so more than k may remain. Requires {@code 0 < topK < vocab}.
     */
    static void keepTopK(float[] scores, int vocab, int topK) {
        int[] top = TopTokens.select(scores, 0, vocab, topK);
        float kthScore = scores[top[topK - 1]];
        for (int id = 0; id < vocab; id++) {
            if (scores[id] < kthScore) {
                scores[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Hugging Face's {@code TopPLogitsWarper}: keep the most likely tokens until their probability reaches
     * {@code topP}. Requires {@code 0 < topP < 1}; {@code maxScore} is the highest score in the row.
     *
     * <p>Hugging Face sorts ascending, takes cumulative probabilities and removes tokens where the cumulative
     * probability is {@code <= 1 - topP}, always keeping the most likely token. The tail sum through a token equals
     * 1 minus the mass ranked strictly above it, so the same rule read from the top is: a token is removed when the
     * probability of the tokens ranked above it is {@code >= topP}. This form needs only the top of the ranking:
     * <ol>
     *   <li>{@code w_i = exp(s_i - maxScore)} in double; {@code total = sum(w)} in ascending id order;
     *       {@code n} = tokens not yet removed.
     *   <li>Shortcut: a token with {@code w_i < (1 - topP) * total / n} is removed. The mass at or below its rank
     *       is at most {@code n * w_i < (1 - topP) * total}, so Hugging Face's rule removes it too. Compared in
     *       log space to save a pass of exp: {@code s_i - maxScore < log((1 - topP) * total / n)}.
     *   <li>The survivors are ranked (score descending, ties: lower id first, as {@link TopTokens}); walking down
     *       the ranking with {@code above} = the sum of {@code w} ranked above, a token is removed once
     *       {@code above >= topP * total}. The top token has {@code above = 0} and is always kept.
     * </ol>
     */
    static void keepTopP(float[] scores, int vocab, double topP, float maxScore) {
        double total = 0;
        int numKept = 0;
        for (int id = 0; id < vocab; id++) {
            total += Math.exp((double) scores[id] - maxScore);
            if (scores[id] != Float.NEGATIVE_INFINITY) {
                numKept++;
            }
        }
        double logFloor = Math.log((1 - topP) * total / numKept);
        int numCandidates = 0;
        for (int id = 0; id < vocab; id++) {
            if ((double) scores[id] - maxScore < logFloor) {
                scores[id] = Float.NEGATIVE_INFINITY;
            } else {
                numCandidates++;
            }
        }
        // Every removed token scores -Infinity, below every candidate, so the top numCandidates are the candidates.
        int[] ranked = TopTokens.select(scores, 0, vocab, numCandidates);
        double threshold = topP * total;
        double above = 0;
        for (int tokenId : ranked) {
            double weight = Math.exp((double) scores[tokenId] - maxScore);
            if (above >= threshold) {
                scores[tokenId] = Float.NEGATIVE_INFINITY;
            }
            above += weight;
        }
    }

    /**
     * Hugging Face's {@code MinPLogitsWarper}: remove tokens whose probability is below {@code minP} times the top
     * token's. That ratio is {@code exp(s_i - maxScore)}; compared in log space, in double:
     * {@code s_i - maxScore < log(minP)}. The top token (0 >= log(minP)) is always kept. Requires
     * {@code 0 < minP <= 1}.
     */
    static void keepMinP(float[] scores, int vocab, double minP, float maxScore) {
        double logMinP = Math.log(minP);
        for (int id = 0; id < vocab; id++) {
            if ((double) scores[id] - maxScore < logMinP) {
                scores[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Inverse-CDF sampling from the softmax of the remaining scores: {@code total = sum(w)} in ascending id
     * order, {@code target = u * total}, then the first id (ascending) whose running sum of {@code w} exceeds
     * {@code target}. Tokens with {@code w = 0} (removed, or underflowed) are never chosen. If rounding leaves the
     * running sum at or below {@code target} after the last id, the last token with {@code w > 0} is chosen.
     * Requires {@code u} in [0, 1) and at least one score equal to {@code maxScore}.
     */
    static int drawInverseCdf(float[] scores, int vocab, float maxScore, double u) {
        double total = 0;
        for (int id = 0; id < vocab; id++) {
            total += Math.exp((double) scores[id] - maxScore);
        }
        double target = u * total;
        double running = 0;
        int lastPositive = -1;
        for (int id = 0; id < vocab; id++) {
            double weight = Math.exp((double) scores[id] - maxScore);
            if (weight > 0) {
                running += weight;
                lastPositive = id;
                if (target < running) {
                    return id;
                }
            }
        }
        return lastPositive;
    }
}
