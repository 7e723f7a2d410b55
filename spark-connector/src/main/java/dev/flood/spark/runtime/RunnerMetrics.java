package dev.flood.spark.runtime;

import java.io.Serializable;

/** Where a partition runner reports what it did; the physical operator backs it with SQL metrics. */
public interface RunnerMetrics extends Serializable {

    /** One row emitted, with its calls' prompt tokens and generated tokens. */
    void row(long promptTokens, long generatedTokens);

    /** Time the task thread waited for the engine. */
    void waited(long nanos);

    /** Mean requests per engine step while this task ran (the engine's batch, shared with other tasks). */
    void meanRunningBatch(double requests);

    /**
     * Prefix cache figures when the task ends: prompt tokens the engine read from its cache and prompt tokens it
     * looked up there since the previous claim on the engine ({@link dev.flood.api.PrefixCacheClaims}), and the
     * cached prefixes now, in token slots and in runs of slots (summed over the task's engines).
     */
    void prefixCache(long cachedPromptTokens, long lookedUpPromptTokens, int cachedPrefixTokens,
                     int cachedPrefixExtents);

    RunnerMetrics NONE = new RunnerMetrics() {
        @Override
        public void row(long promptTokens, long generatedTokens) {
        }

        @Override
        public void waited(long nanos) {
        }

        @Override
        public void meanRunningBatch(double requests) {
        }

        @Override
        public void prefixCache(long cachedPromptTokens, long lookedUpPromptTokens, int cachedPrefixTokens,
                                int cachedPrefixExtents) {
        }
    };
}
