package dev.flood.api;

/**
 * What prefix caching saved since the engine opened: each request admitted looks its prompt up in the cache of
 * computed prefixes (again after a preemption) and computes only what it did not find. The cached space itself is
 * in {@link CacheStats} ({@code cachedTokens}, {@code cachedExtents}). All zero when prefix caching is off.
 *
 * @param lookups            requests admitted with a lookup
 * @param hits               of those, requests that found a cached prefix
 * @param lookedUpTokens     prompt tokens of the requests looked up
 * @param hitTokens          of those, prompt tokens read from the cache instead of computed
 * @param unreferencedTokens cached slots no running request reads now (evicted first when space is needed)
 * @param evictedTokens      cached slots evicted to make room
 */
public record PrefixCacheStats(long lookups, long hits, long lookedUpTokens, long hitTokens, int unreferencedTokens,
                               long evictedTokens) {

    public static final PrefixCacheStats NONE = new PrefixCacheStats(0, 0, 0, 0, 0, 0);

    /**
     * What was counted after {@code earlier} (a snapshot of the same engine): the counters' growth, and
     * {@code unreferencedTokens} as it is now (a level, not a count).
     */
    public PrefixCacheStats since(PrefixCacheStats earlier) {
        return new PrefixCacheStats(lookups - earlier.lookups, hits - earlier.hits,
                lookedUpTokens - earlier.lookedUpTokens, hitTokens - earlier.hitTokens, unreferencedTokens,
                evictedTokens - earlier.evictedTokens);
    }

    /** Share of the looked-up prompt tokens served from the cache; 0 before any lookup. */
    public double hitRate() {
        return lookedUpTokens == 0 ? 0 : (double) hitTokens / lookedUpTokens;
    }
}
