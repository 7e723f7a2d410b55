package dev.flood.engine;

import dev.flood.api.CacheStats;
import dev.flood.api.EngineMetrics;
import dev.flood.api.PrefixCacheStats;
import dev.flood.api.StageMetrics;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Engine counters, written by the engine thread after each step and read as a snapshot from any thread. */
final class Counters {

    private long steps;
    private long promptTokens;
    private long generatedTokens;
    // also counted from callers' threads, for requests rejected before they reach the engine thread
    private final AtomicLong completedRequests = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();
    private long cancelledRequests;
    private long restarts;
    private long runningSum;
    private long busyNanos;
    private long busyUntil = Long.MIN_VALUE;
    private volatile EngineMetrics snapshot;

    Counters(CacheStats initialCache, PrefixCacheStats initialPrefixCache, List<StageMetrics> initialStages) {
        snapshot = new EngineMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, initialCache, initialPrefixCache,
                initialStages);
    }

    /**
     * A step launched at {@code launchedNanos} was collected now. Busy time is the wall time covered by steps in
     * flight: collected in launch order, each adds the time since its launch or the previous collect, whichever
     * is later.
     */
    void step(int numRequests, int numPromptTokens, int numGeneratedTokens, long launchedNanos) {
        long now = System.nanoTime();
        steps++;
        runningSum += numRequests;
        promptTokens += numPromptTokens;
        generatedTokens += numGeneratedTokens;
        busyNanos += now - Math.max(launchedNanos, busyUntil);
        busyUntil = now;
    }

    void completed(boolean failed) {
        completedRequests.incrementAndGet();
        if (failed) {
            failedRequests.incrementAndGet();
        }
    }

    /** A request its caller cancelled has ended (engine thread). */
    void cancelled() {
        completedRequests.incrementAndGet();
        cancelledRequests++;
    }

    /** The engine reopened its pipeline after a fault (engine thread). */
    void restarted() {
        restarts++;
    }

    void publish(int running, int waiting, long preemptions, long peakDeviceMemoryBytes, CacheStats cache,
                 PrefixCacheStats prefixCache, List<StageMetrics> stages) {
        double seconds = busyNanos / 1e9;
        snapshot = new EngineMetrics(steps, promptTokens, generatedTokens, completedRequests.get(), failedRequests.get(),
                running, waiting, steps == 0 ? 0 : (double) runningSum / steps, seconds,
                seconds == 0 ? 0 : generatedTokens / seconds, preemptions, cancelledRequests, restarts,
                peakDeviceMemoryBytes, cache, prefixCache, stages);
    }

    /**
     * The last published counters with the request counts of now; {@code notYetTaken} requests were submitted
     * since the engine thread last took its queue (it may be busy in a long step), and they wait too.
     */
    EngineMetrics snapshot(int notYetTaken) {
        EngineMetrics s = snapshot;
        return new EngineMetrics(s.steps(), s.promptTokens(), s.generatedTokens(), completedRequests.get(),
                failedRequests.get(), s.runningRequests(), s.waitingRequests() + notYetTaken, s.meanRunningBatch(),
                s.busySeconds(), s.generatedTokensPerSecond(), s.preemptions(), s.cancelledRequests(),
                s.engineRestarts(), s.peakDeviceMemoryBytes(), s.cache(), s.prefixCache(), s.stages());
    }
}
