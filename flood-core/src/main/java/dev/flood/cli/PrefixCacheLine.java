package dev.flood.cli;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.PrefixCacheStats;
import java.util.Locale;

/** The summary line on what prefix caching saved, printed after a command's own summary. */
final class PrefixCacheLine {

    private PrefixCacheLine() {
    }

    /** E.g. {@code prefix cache: 12000 of 50000 prompt tokens read from the cache (24.0%), ...}. */
    static String of(EngineConfig config, EngineMetrics metrics) {
        if (config.prefixCaching() == EngineConfig.PrefixCaching.OFF) {
            return "prefix cache: off";
        }
        PrefixCacheStats stats = metrics.prefixCache();
        return String.format(Locale.ROOT, "prefix cache: %d of %d prompt tokens read from the cache (%.1f%%), "
                        + "%d of %d requests hit, %d tokens evicted; cached now: %d tokens in %d extents",
                stats.hitTokens(), stats.lookedUpTokens(), 100 * stats.hitRate(), stats.hits(), stats.lookups(),
                stats.evictedTokens(), metrics.cache().cachedTokens(), metrics.cache().cachedExtents());
    }
}
