package dev.flood.api;

import java.util.List;

/**
 * A snapshot of the engine's counters since it opened.
 *
 * @param steps                 forward passes run
 * @param promptTokens          prompt tokens computed (prefill and scoring; those read from the prefix cache are in
 *                              {@code prefixCache})
 * @param generatedTokens       tokens sampled
 * @param completedRequests     requests finished, successfully or not (cancelled ones included)
 * @param failedRequests        requests finished with an error
 * @param runningRequests       requests holding cache right now
 * @param waitingRequests       requests queued for admission right now, those submitted while the engine thread
 *                              was busy included
 * @param meanRunningBatch      mean number of requests per step over all steps
 * @param busySeconds           wall time with at least one step in flight
 * @param generatedTokensPerSecond generated tokens over busy seconds
 * @param preemptions           times a running request gave up its cache to be recomputed later
 * @param cancelledRequests     requests their callers cancelled before they finished
 * @param engineRestarts        times a step failed for a reason that was no request's own and the engine reopened
 *                              its backends, resubmitting every unfinished request ({@code engine_restarts})
 * @param peakDeviceMemoryBytes the most GPU memory in use so far (weights, cache, workspace); 0 on the CPU
 * @param cache                 the KV cache's state right now
 * @param prefixCache           what prefix caching saved
 * @param stages                each pipeline stage's step and idle times, first stage first
 */
public record EngineMetrics(long steps, long promptTokens, long generatedTokens, long completedRequests,
                            long failedRequests, int runningRequests, int waitingRequests, double meanRunningBatch,
                            double busySeconds, double generatedTokensPerSecond, long preemptions,
                            long cancelledRequests, long engineRestarts, long peakDeviceMemoryBytes, CacheStats cache,
                            PrefixCacheStats prefixCache, List<StageMetrics> stages) {

    public EngineMetrics {
        stages = List.copyOf(stages);
    }
}
