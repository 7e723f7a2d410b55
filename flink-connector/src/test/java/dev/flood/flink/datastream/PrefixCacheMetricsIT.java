package dev.flood.flink.datastream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.PrefixCacheStats;
import dev.flood.flink.FloodOptions;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineLease;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.internal.FloodMetrics;
import dev.flood.flink.testing.JobMetrics;
import dev.flood.flink.testing.Records.Enriched;
import dev.flood.flink.testing.Records.Event;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.flink.testing.WatchedEngine;
import dev.flood.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The connector's prefix cache metrics on a MiniCluster. Records share a prefix of about 100 tokens (prefix caching
 * is on by default on the CPU backend) and go through two subtasks sharing one engine. The subtasks' counters add
 * up to what the engine counted during the job (each finished request claims what the engine counted since the
 * previous claim), and the engine-wide gauges show the engine's hit rate and cached prefixes. The test holds its
 * own lease on the job's engine, so that the engine opens before the job and can be read after it.
 */
class PrefixCacheMetricsIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(REPORTER.addToConfiguration(new Configuration())).build());

    @Test
    void subtasksCountThePromptTokensReadFromTheCache() throws Exception {
        long seed = System.nanoTime();
        String name = "prefix-cache-" + UUID.randomUUID();
        Map<String, String> options = Map.of(FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-llama").toString(),
                FloodOptions.THREADS.key(), "1", FloodOptions.MAX_NEW_TOKENS.key(), "3");
        FloodSettings settings = FloodSettings.resolve(options, key -> null, TaskManagerSlots.UNKNOWN);
        try (EngineLease lease = EngineRegistry.acquire(settings.engine(), new WatchedEngine.Factory(name))) {
            FloodEngine engine = lease.engine();
            PrefixCacheStats before = engine.metrics().prefixCache();
            Random random = new Random(seed);
            String prefix = "";
            while (engine.tokenizer().encode(prefix).length < 100) {
                prefix = prefix + TestPrompts.random(random, 1).get(0) + " ";
            }
            List<Event> events = new ArrayList<>();
            List<String> suffixes = TestPrompts.random(random, 30);
            for (int i = 0; i < suffixes.size(); i++) {
                events.add(new Event(i, prefix + suffixes.get(i)));
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            CloseableIterator<Enriched> results = FloodAsync.generate(
                            env.fromData(events, TypeInformation.of(Event.class)).rebalance(), Event::prompt,
                            Enriched::of, TypeInformation.of(Enriched.class))
                    .options(Configuration.fromMap(options)).engineFactory(new WatchedEngine.Factory(name))
                    .unordered().capacity(8).apply().collectAsync();
            JobClient job = env.executeAsync();
            int numResults = 0;
            try (results) {
                for (; results.hasNext(); numResults++) {
                    assertNull(results.next().error());
                }
            }
            job.getJobExecutionResult().get();
            assertEquals(events.size(), numResults);

            JobID id = job.getJobID();
            EngineMetrics after = engine.metrics();
            PrefixCacheStats counted = after.prefixCache().since(before);
            long cached = JobMetrics.sum(REPORTER, id, FloodMetrics.PROMPT_TOKENS_FROM_CACHE);
            long lookedUp = JobMetrics.sum(REPORTER, id, FloodMetrics.PROMPT_TOKENS_LOOKED_UP);
            String figures = cached + " of " + lookedUp + " looked-up prompt tokens from the cache (seed " + seed + ")";
            assertEquals(counted.hitTokens(), cached, "the engine's hit tokens: " + figures);
            assertEquals(counted.lookedUpTokens(), lookedUp, "the engine's looked-up tokens: " + figures);
            // the prefix is most of each prompt, and a record behind one computing it waits for it (PrefixCache)
            assertTrue(2 * cached > lookedUp, figures);

            assertEquals(List.of(after.prefixCache().hitRate(), after.prefixCache().hitRate()),
                    gaugeValues(id, FloodMetrics.PREFIX_CACHE_HIT_RATE), "the engine's hit rate, in each subtask");
            assertTrue(after.prefixCache().hitRate() > 0.5, figures);
            assertEquals(List.of(after.cache().cachedTokens(), after.cache().cachedTokens()),
                    gaugeValues(id, FloodMetrics.PREFIX_CACHE_CACHED_TOKENS), "the engine's cached tokens");
            assertTrue(after.cache().cachedTokens() >= 96, "the prefix's full blocks stay cached: " + after.cache());
            assertEquals(List.of(after.cache().cachedExtents(), after.cache().cachedExtents()),
                    gaugeValues(id, FloodMetrics.PREFIX_CACHE_CACHED_EXTENTS), "the engine's cached extents");
            assertFalse(after.cache().cachedExtents() == 0, after.cache().toString());
        }
    }

    /** The values of the gauges named {@code flood.<name>} of the job's subtasks. */
    private static List<Object> gaugeValues(JobID job, String name) {
        List<Object> values = new ArrayList<>();
        for (Metric metric : JobMetrics.named(REPORTER, job, name)) {
            values.add(((Gauge<?>) metric).getValue());
        }
        return values;
    }
}
