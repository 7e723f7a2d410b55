package dev.flood.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Exact totals, and a sample's 95% interval that holds the true total about 95 times in 100. */
class JobSampleTest {

    @Test
    void everyRowCountedIsExact() {
        JobSample all = new JobSample(3, new int[] {4, 10, 7}, new int[] {1, 2, 3});
        assertTrue(all.exact());
        assertEquals(21, all.totalPromptTokens());
        assertEquals(0, all.promptMargin());
    }

    @Test
    void aSamplesIntervalCoversTheTrueTotalAboutNinetyFiveTimesInAHundred() {
        Random random = new Random(5);
        int rows = 20_000;
        int[] population = new int[rows];
        long truth = 0;
        for (int i = 0; i < rows; i++) {
            population[i] = 5 + (int) Math.abs(random.nextGaussian() * 200);
            truth += population[i];
        }
        int covered = 0;
        int trials = 400;
        for (int trial = 0; trial < trials; trial++) {
            int[] sample = new int[300];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = population[random.nextInt(rows)];
            }
            JobSample estimate = JobSample.of(rows, sample, 10);
            assertFalse(estimate.exact());
            covered += Math.abs(estimate.totalPromptTokens() - truth) <= estimate.promptMargin() ? 1 : 0;
        }
        // 95% of 400 is 380, with a binomial standard deviation of about 4.4
        assertTrue(covered >= 360 && covered <= 395, covered + " of " + trials + " intervals held the total");
    }
}
