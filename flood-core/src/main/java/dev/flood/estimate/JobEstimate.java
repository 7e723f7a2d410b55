package dev.flood.estimate;

/**
 * What a generation job is expected to cost before it starts ({@link Estimator}).
 *
 * @param rows            rows in the job
 * @param runnable        rows the engine would run (the others do not fit the model's context or the cache)
 * @param promptTokens    prompt tokens: exact, or estimated from a sample with a 95% confidence interval
 * @param generatedTokens tokens expected to be generated: each row's expected output, cut at the context's end
 * @param steps           forward passes the engine's scheduler would run (simulated)
 * @param computeSeconds  time computing the steps, from the calibrated throughput model; its range follows the
 *                        prompt tokens' interval
 * @param openSeconds     time to open the engine, as measured when calibrating
 * @param wallSeconds     open plus compute
 * @param devices         GPUs the job holds (0 on the CPU backend)
 * @param gpuHours        wall time times GPUs, in hours (0 on the CPU backend)
 * @param cacheTokens     KV cache slots the simulation assumed
 * @param calibration     the calibration the estimate rests on
 */
public record JobEstimate(long rows, long runnable, Range promptTokens, long generatedTokens, long steps,
                          Range computeSeconds, double openSeconds, Range wallSeconds, int devices, Range gpuHours,
                          int cacheTokens, Calibration calibration) {

    /** A figure with a 95% interval; low = value = high when it is exact. */
    public record Range(double value, double low, double high) {

        static Range exact(double value) {
            return new Range(value, value, value);
        }

        Range plus(double amount) {
            return new Range(value + amount, low + amount, high + amount);
        }

        Range times(double factor) {
            return new Range(value * factor, low * factor, high * factor);
        }

        public boolean isExact() {
            return low == value && high == value;
        }
    }
}
