package dev.flood.api;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Shares one engine's prefix cache counters out among the callers that use it at once (the tasks of a Spark
 * executor, the subtasks of a Flink TaskManager), so that their own metrics add up to what the engine counted.
 *
 * <p>Why claims: the engine counts a cache hit when it admits a request, for every caller together, and tells no
 * caller which hits were its own. A caller that reported the engine's growth over its own lifetime would count
 * its neighbours' hits too, and a sum over callers would count each hit once per caller running at the time.
 * Instead each engine has a cursor, its counters as last claimed: a caller {@link #register registers} the engine
 * before its first request (the first registration puts the cursor at the counters then), and each
 * {@link #claim} takes whatever the engine counted since the cursor, whoever caused it, and moves the cursor on.
 *
 * <p>What a figure means: the sum of every claim on an engine is exactly the engine's growth from its first
 * registration to the last claim, so summed over the callers of a job that had the engine to itself (claiming
 * once their requests are done) it is the job's cache hits. One caller's own figure is only what the engine
 * counted between the claim before its own and its own; callers of two jobs running at once on one engine split
 * their total between them roughly. Thread-safe; engines are held weakly (a closed engine's cursor goes with it).
 */
public final class PrefixCacheClaims {

    /** Each registered engine's counters as last claimed; guarded by the class. */
    private static final Map<FloodEngine, PrefixCacheStats> CLAIMED = new WeakHashMap<>();

    private PrefixCacheClaims() {
    }

    /** Starts the engine's cursor at its counters now, unless a caller already did. Call before any request. */
    public static synchronized void register(FloodEngine engine) {
        CLAIMED.computeIfAbsent(engine, e -> e.metrics().prefixCache());
    }

    /**
     * The engine's counters' growth since the last claim (or its registration), which this claim now owns;
     * {@code unreferencedTokens} is the engine's now. The engine must have been registered.
     */
    public static synchronized PrefixCacheStats claim(FloodEngine engine) {
        PrefixCacheStats last = CLAIMED.get(engine);
        if (last == null) {
            throw new IllegalStateException("prefix cache claim on an engine never registered: " + engine);
        }
        PrefixCacheStats now = engine.metrics().prefixCache();
        CLAIMED.put(engine, now);
        return now.since(last);
    }
}
