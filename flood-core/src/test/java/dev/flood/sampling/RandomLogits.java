package dev.flood.sampling;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Fresh random inputs for the sampling tests; each test class prints its seed in assertion messages. */
final class RandomLogits {

    private RandomLogits() {
    }

    static long freshSeed() {
        return new SplittableRandom().nextLong();
    }

    /** {@code n} floats uniform in [-spread, spread), never exactly 0 (a zero row would hide ordering bugs). */
    static float[] uniform(SplittableRandom rng, int n, double spread) {
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            float value;
            do {
                value = (float) ((2 * rng.nextDouble() - 1) * spread);
            } while (value == 0);
            logits[i] = value;
        }
        return logits;
    }

    /** Token ids whose score is not -Infinity (not removed by a filter), ascending. */
    static List<Integer> keptIds(float[] scores, int vocab) {
        List<Integer> kept = new ArrayList<>();
        for (int id = 0; id < vocab; id++) {
            if (scores[id] != Float.NEGATIVE_INFINITY) {
                kept.add(id);
            }
        }
        return kept;
    }
}
