package dev.flood.cli;

import java.util.Arrays;

/** The 50th, 90th and 99th percentiles of a sample (nearest rank); NaN for an empty sample. */
record Percentiles(double p50, double p90, double p99) {

    static Percentiles of(double[] sample) {
        double[] sorted = sample.clone();
        Arrays.sort(sorted);
        return new Percentiles(rank(sorted, 50), rank(sorted, 90), rank(sorted, 99));
    }

    /** The smallest value with at least {@code percent}% of the sample at or below it. */
    private static double rank(double[] sorted, int percent) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, index)];
    }
}
