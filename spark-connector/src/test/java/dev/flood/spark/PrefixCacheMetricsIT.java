package dev.flood.spark;

import static dev.flood.spark.FloodFunctions.flood_generate;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodEngine;
import dev.flood.api.PrefixCacheStats;
import dev.flood.spark.catalyst.FloodEvalExec;
import dev.flood.spark.runtime.EngineRegistry;
import dev.flood.spark.runtime.SqlRunnerMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The Flood operator's prefix cache SQL metrics. Rows share a prefix of about 100 tokens (prefix caching is on by
 * default on the CPU backend); two partitions run as two tasks at once on the executor's one engine. The
 * operator's sums equal what the engine counted while the query ran: each task claims what the engine counted
 * since the previous claim, so the tasks' figures add up to the engine's however their rows interleave.
 */
class PrefixCacheMetricsIT {

    private static final long SEED = System.nanoTime();
    /** Engine options no other test uses, so this test's engine is its own and counts only this query. */
    private static final Map<String, String> OPTIONS = Map.of("max_batch_tokens", "347", "max_in_flight", "6",
            "max_tokens", "3", "ignore_eos", "true");

    @Test
    void cachedPromptTokensAddUpToTheEnginesCount() {
        SparkSession spark = SparkTestSession.get();
        FloodSettings settings = FloodSettings.resolve(
                scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()), OPTIONS);
        try (EngineRegistry.Lease lease = EngineRegistry.shared().acquire(settings.engineConfig(List.of()))) {
            FloodEngine engine = lease.engine();
            PrefixCacheStats before = engine.metrics().prefixCache();
            Random random = new Random(SEED);
            StringBuilder prefix = new StringBuilder();
            while (engine.tokenizer().encode(prefix.toString()).length < 100) {
                prefix.append(TestPrompts.words(random, 8)).append(' ');
            }
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                prompts.add(prefix + TestPrompts.words(random, 1 + random.nextInt(4)) + " " + i);
            }
            Dataset<Row> frame = TestPrompts.frame(spark, prompts);
            assertEquals(2, frame.javaRDD().getNumPartitions());
            Dataset<Row> out = frame.withColumn("out", flood_generate(col("prompt"), OPTIONS));
            assertEquals(prompts.size(), out.collectAsList().size());

            FloodEvalExec node = SparkTestSession.floodNode(out);
            long cached = SparkTestSession.metric(node, SqlRunnerMetrics.CACHED_PROMPT_TOKENS);
            long lookedUp = SparkTestSession.metric(node, SqlRunnerMetrics.LOOKED_UP_PROMPT_TOKENS);
            long promptTokens = SparkTestSession.metric(node, SqlRunnerMetrics.PROMPT_TOKENS);
            PrefixCacheStats counted = engine.metrics().prefixCache().since(before);
            String figures = cached + " of " + lookedUp + " looked-up prompt tokens from the cache, " + promptTokens
                    + " prompt tokens (seed " + SEED + ")";
            assertEquals(counted.hitTokens(), cached, "the engine's hit tokens: " + figures);
            assertEquals(counted.lookedUpTokens(), lookedUp, "the engine's looked-up tokens: " + figures);
            // every request is looked up at least once, with all of its prompt tokens
            assertTrue(lookedUp >= promptTokens, figures);
            // the prefix is most of each prompt, and a row behind one computing it waits for it (PrefixCache):
            // only the first row computes it, so well over half the prompt tokens come from the cache
            assertTrue(2 * cached > lookedUp, figures);
            // average metrics keep one decimal (value * 10) and add up the tasks' values; each task ended with at
            // least the prefix's six full blocks cached, never evicted from a cache this large
            long cachedPrefixTokens = SparkTestSession.metric(node, SqlRunnerMetrics.CACHED_PREFIX_TOKENS);
            long cachedPrefixExtents = SparkTestSession.metric(node, SqlRunnerMetrics.CACHED_PREFIX_EXTENTS);
            assertTrue(cachedPrefixTokens >= 10 * 2 * 96, "cached prefix tokens x 10, summed: " + cachedPrefixTokens);
            assertTrue(cachedPrefixExtents >= 10 * 2, "cached prefix extents x 10, summed: " + cachedPrefixExtents);
            assertEquals(0, engine.metrics().prefixCache().evictedTokens());
        }
    }
}
