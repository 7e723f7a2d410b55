package dev.flood.estimate;

import java.util.Arrays;

/**
 * A generation job's rows as the estimate sees them: each counted row's prompt tokens and the tokens it is expected
 * to generate (its max tokens, or a figure the user gives). Every row is counted (exact), or a uniform random
 * sample of them.
 *
 * @param rows         rows in the job
 * @param promptTokens [n] prompt tokens of each counted row: all {@code rows} of them, or a sample
 * @param outputTokens [n] tokens each counted row is expected to generate, at least 1
 */
public record JobSample(long rows, int[] promptTokens, int[] outputTokens) {

    /** The normal quantile of a two-sided 95% interval. */
    private static final double Z95 = 1.959964;

    public JobSample {
        if (promptTokens.length != outputTokens.length) {
            throw new IllegalArgumentException(promptTokens.length + " prompt counts with " + outputTokens.length
                    + " output counts");
        }
        if (promptTokens.length > rows) {
            throw new IllegalArgumentException(promptTokens.length + " counted rows of a job of " + rows);
        }
        if (rows > 0 && promptTokens.length == 0) {
            throw new IllegalArgumentException("a job of " + rows + " rows needs at least one counted row");
        }
        if (Arrays.stream(outputTokens).anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("expected output tokens must be >= 1");
        }
        promptTokens = promptTokens.clone();
        outputTokens = outputTokens.clone();
    }

    /** Rows that all expect {@code outputTokens}. */
    public static JobSample of(long rows, int[] promptTokens, int outputTokens) {
        int[] outputs = new int[promptTokens.length];
        Arrays.fill(outputs, outputTokens);
        return new JobSample(rows, promptTokens, outputs);
    }

    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    @Override
    public int[] outputTokens() {
        return outputTokens.clone();
    }

    /** Whether every row was counted. */
    public boolean exact() {
        return promptTokens.length == rows;
    }

    /** The job's prompt tokens: the sum, or the sample's mean times the rows. */
    public double totalPromptTokens() {
        long sum = Arrays.stream(promptTokens).asLongStream().sum();
        return exact() ? sum : sum / (double) promptTokens.length * rows;
    }

    /**
     * Half the width of the 95% confidence interval of {@link #totalPromptTokens()}: 0 when exact, else
     * {@code 1.96 x rows x s / sqrt(n) x sqrt((rows - n) / (rows - 1))} (the sample's standard deviation s, with the
     * finite-population correction for a sample drawn without replacement); infinite from a single row.
     */
    public double promptMargin() {
        int n = promptTokens.length;
        if (exact()) {
            return 0;
        }
        if (n < 2) {
            return Double.POSITIVE_INFINITY;
        }
        double mean = Arrays.stream(promptTokens).average().orElse(0);
        double squares = 0;
        for (int count : promptTokens) {
            squares += (count - mean) * (count - mean);
        }
        double sd = Math.sqrt(squares / (n - 1));
        return Z95 * rows * sd / Math.sqrt(n) * Math.sqrt((rows - n) / (double) (rows - 1));
    }
}
