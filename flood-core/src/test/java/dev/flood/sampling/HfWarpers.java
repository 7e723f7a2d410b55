package dev.flood.sampling;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Hugging Face's warpers written as literally as their Python, for comparison with {@link LogitTransforms}: full
 * sorts, normalized probabilities and the ascending cumulative sum of {@code TopPLogitsWarper}. Probabilities are
 * in double. Ties in the ascending sort put the higher id first, the order {@link LogitTransforms} documents.
 */
final class HfWarpers {

    private HfWarpers() {
    }

    /** temperature, top-k, top-p, min-p, in Hugging Face's order, each skipped when disabled. */
    static float[] warp(float[] logits, double temperature, int topK, double topP, double minP) {
        float[] scores = logits.clone();
        for (int id = 0; id < scores.length; id++) {
            scores[id] /= (float) temperature;
        }
        if (topK > 0 && topK < scores.length) {
            topK(scores, topK);
        }
        if (topP < 1) {
            topP(scores, topP);
        }
        if (minP > 0) {
            minP(scores, minP);
        }
        return scores;
    }

    /** {@code scores < torch.topk(scores, k)[0][..., -1]} removed. */
    static void topK(float[] scores, int topK) {
        float[] sorted = scores.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - topK];
        for (int id = 0; id < scores.length; id++) {
            if (scores[id] < kth) {
                scores[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Sort ascending, cumulative softmax, remove {@code cumulative <= 1 - top_p}, keep the last (most likely). */
    static void topP(float[] scores, double topP) {
        double[] probs = softmax(scores);
        Integer[] ascending = new Integer[scores.length];
        for (int id = 0; id < scores.length; id++) {
            ascending[id] = id;
        }
        Comparator<Integer> byScore = Comparator.comparingDouble(id -> scores[id]);
        Arrays.sort(ascending, byScore.thenComparing(Comparator.reverseOrder()));
        double cumulative = 0;
        boolean[] remove = new boolean[scores.length];
        for (int rank = 0; rank < ascending.length; rank++) {
            cumulative += probs[ascending[rank]];
            remove[rank] = cumulative <= 1 - topP && rank < ascending.length - 1;
        }
        for (int rank = 0; rank < ascending.length; rank++) {
            if (remove[rank]) {
                scores[ascending[rank]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** {@code probs < min_p * probs.max()} removed. */
    static void minP(float[] scores, double minP) {
        double[] probs = softmax(scores);
        double maxProb = Arrays.stream(probs).max().orElseThrow();
        for (int id = 0; id < scores.length; id++) {
            if (probs[id] < minP * maxProb) {
                scores[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    static double[] softmax(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float score : scores) {
            max = Math.max(max, score);
        }
        double[] probs = new double[scores.length];
        double total = 0;
        for (int id = 0; id < scores.length; id++) {
            probs[id] = Math.exp(scores[id] - max);
            total += probs[id];
        }
        for (int id = 0; id < scores.length; id++) {
            probs[id] /= total;
        }
        return probs;
    }
}
