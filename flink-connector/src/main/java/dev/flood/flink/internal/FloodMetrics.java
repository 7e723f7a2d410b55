package dev.flood.flink.internal;

import dev.flood.api.FloodEngine;
import dev.flood.api.PrefixCacheClaims;
import dev.flood.api.PrefixCacheStats;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * One subtask's metrics, in the group {@code <operator>.flood}: {@code requestsInFlight} (gauge), {@code requests},
 * {@code errors}, {@code <tokens>} (counters) and {@code <tokens>PerSecond} (a meter over the token counter).
 * Requests start on the task thread and finish on the engine's, hence the thread-safe counters.
 *
 * <p>Prefix caching: {@code promptTokensFromCache} and {@code promptTokensLookedUp} (counters) are the prompt
 * tokens the engine read from its prefix cache and those it looked up there; each request that finishes claims
 * what the engine counted since the previous claim by any subtask ({@link PrefixCacheClaims}), so summed over the
 * subtasks of a job that had its TaskManagers' engines to itself they are the job's figures, once its requests
 * are done. The engine-wide gauges, the same in every subtask sharing the engine (do not sum them):
 * {@code prefixCacheHitRate} (share of looked-up prompt tokens read from the cache since the engine opened),
 * {@code prefixCacheCachedTokens} and {@code prefixCacheCachedExtents} (the cached prefixes now). All 0 where
 * prefix caching is off.
 */
@Internal
public final class FloodMetrics {

    public static final String GROUP = "flood";
    public static final String IN_FLIGHT = "requestsInFlight";
    public static final String REQUESTS = "requests";
    public static final String ERRORS = "errors";
    public static final String GENERATED_TOKENS = "generatedTokens";
    public static final String SCORED_TOKENS = "scoredTokens";
    public static final String PROMPT_TOKENS_FROM_CACHE = "promptTokensFromCache";
    public static final String PROMPT_TOKENS_LOOKED_UP = "promptTokensLookedUp";
    public static final String PREFIX_CACHE_HIT_RATE = "prefixCacheHitRate";
    public static final String PREFIX_CACHE_CACHED_TOKENS = "prefixCacheCachedTokens";
    public static final String PREFIX_CACHE_CACHED_EXTENTS = "prefixCacheCachedExtents";

    private final FloodEngine engine;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter requests = new ThreadSafeSimpleCounter();
    private final Counter errors = new ThreadSafeSimpleCounter();
    private final Counter tokens = new ThreadSafeSimpleCounter();
    private final Counter promptTokensFromCache = new ThreadSafeSimpleCounter();
    private final Counter promptTokensLookedUp = new ThreadSafeSimpleCounter();

    /**
     * Registers the metrics; call before the subtask's first request to {@code engine}.
     *
     * @param tokensName {@link #GENERATED_TOKENS} or {@link #SCORED_TOKENS}
     * @param engine     the engine the subtask leased
     */
    public FloodMetrics(MetricGroup operatorGroup, String tokensName, FloodEngine engine) {
        this.engine = engine;
        PrefixCacheClaims.register(engine);
        MetricGroup group = operatorGroup.addGroup(GROUP);
        group.gauge(IN_FLIGHT, inFlight::get);
        group.counter(REQUESTS, requests);
        group.counter(ERRORS, errors);
        group.counter(tokensName, tokens);
        group.meter(tokensName + "PerSecond", new MeterView(tokens));
        group.counter(PROMPT_TOKENS_FROM_CACHE, promptTokensFromCache);
        group.counter(PROMPT_TOKENS_LOOKED_UP, promptTokensLookedUp);
        group.gauge(PREFIX_CACHE_HIT_RATE, () -> engine.metrics().prefixCache().hitRate());
        group.gauge(PREFIX_CACHE_CACHED_TOKENS, () -> engine.metrics().cache().cachedTokens());
        group.gauge(PREFIX_CACHE_CACHED_EXTENTS, () -> engine.metrics().cache().cachedExtents());
    }

    public void started() {
        inFlight.incrementAndGet();
        requests.inc();
    }

    /** A request finished: its tokens, whether it failed, and the engine's prefix cache counts since the last claim. */
    public void finished(int numTokens, boolean failed) {
        inFlight.decrementAndGet();
        tokens.inc(numTokens);
        if (failed) {
            errors.inc();
        }
        PrefixCacheStats claimed = PrefixCacheClaims.claim(engine);
        promptTokensFromCache.inc(claimed.hitTokens());
        promptTokensLookedUp.inc(claimed.lookedUpTokens());
    }

    /** A record given up on (timeout): an error now; its request stays in flight until the engine finishes it. */
    public void abandoned() {
        errors.inc();
    }
}
