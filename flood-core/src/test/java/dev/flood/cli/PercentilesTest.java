package dev.flood.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles; exact comparisons, since they pick sample values. */
class PercentilesTest {

    @Test
    void nearestRankOfAShuffledSample() {
        Random random = new Random();
        int n = 111;
        double offset = random.nextDouble();
        double[] sample = new double[n];
        for (int i = 0; i < n; i++) {
            sample[i] = i + 1 + offset;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = sample[i];
            sample[i] = sample[j];
            sample[j] = t;
        }
        Percentiles p = Percentiles.of(sample);
        // ranks ceil(0.5 * 111) = 56, ceil(0.9 * 111) = 100, ceil(0.99 * 111) = 110
        assertEquals(56 + offset, p.p50(), 0.0);
        assertEquals(100 + offset, p.p90(), 0.0);
        assertEquals(110 + offset, p.p99(), 0.0);
    }

    @Test
    void oneValueAndNone() {
        Percentiles one = Percentiles.of(new double[] {7.25});
        assertEquals(new Percentiles(7.25, 7.25, 7.25), one);
        Percentiles none = Percentiles.of(new double[0]);
        assertTrue(Double.isNaN(none.p50()) && Double.isNaN(none.p90()) && Double.isNaN(none.p99()));
    }
}
