package dev.flood.flink.datastream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodOptions;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.internal.FloodMetrics;
import dev.flood.flink.testing.JobMetrics;
import dev.flood.flink.testing.Records.Enriched;
import dev.flood.flink.testing.Records.Event;
import dev.flood.flink.testing.SlowEngine;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.util.retryable.AsyncRetryStrategies;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DataStream builder on a MiniCluster (one TaskManager, two slots) with the CPU backend and tiny-llama: one
 * output per input, in order when asked, error results for bad prompts, retries and timeouts, and a bounded
 * number of requests in flight when the engine is slow. Texts are checked against the same engine run outside
 * Flink with the same derived seeds (temperature 0.8, so a wrong seed would show).
 */
class FloodAsyncIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(REPORTER.addToConfiguration(new Configuration())).build());

    private static final TypeInformation<Enriched> ENRICHED = TypeInformation.of(Enriched.class);
    /** Shipped with the job graph, hence serializable. */
    private static final Predicate<Throwable> RETRY_FLOOD_ERRORS =
            (Predicate<Throwable> & Serializable) e -> e instanceof FloodException;

    private final long seed = System.nanoTime();
    private final String name = "async-" + UUID.randomUUID();
    private Map<String, String> options;
    private FloodSettings settings;

    @BeforeEach
    void options() {
        options = new HashMap<>();
        options.put(FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-llama").toString());
        options.put(FloodOptions.THREADS.key(), "1");
        options.put(FloodOptions.MAX_NEW_TOKENS.key(), "7");
        options.put(FloodOptions.TEMPERATURE.key(), "0.8");
        options.put(FloodOptions.SEED.key(), Long.toString(seed));
        settings = FloodSettings.resolve(options, key -> null);
    }

    /** Every fifth prompt is slow, so the engine finishes them after later ones; one null, one over-long. */
    private List<String> prompts(int count) {
        List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(seed), count));
        for (int i = 0; i < count; i += 5) {
            prompts.set(i, SlowEngine.SLOW + prompts.get(i));
        }
        prompts.set(7, null);
        prompts.set(13, TestPrompts.OVER_LONG);
        return prompts;
    }

    private static DataStream<Event> events(StreamExecutionEnvironment env, List<String> prompts) {
        List<Event> events = IntStream.range(0, prompts.size()).mapToObj(i -> new Event(i, prompts.get(i))).toList();
        return env.fromData(events, TypeInformation.of(Event.class));
    }

    private FloodAsync<Event, Enriched> enrich(DataStream<Event> events, long delayMillis, long slowDelayMillis) {
        Configuration conf = Configuration.fromMap(options);
        return FloodAsync.generate(events, Event::prompt, Enriched::of, ENRICHED).options(conf)
                .engineFactory(new SlowEngine.Factory(name, delayMillis, slowDelayMillis));
    }

    @SuppressWarnings("try") // Flink's CloseableIterator.close declares Exception
    private static List<Enriched> collect(DataStream<Enriched> stream) throws Exception {
        List<Enriched> out = new ArrayList<>();
        try (CloseableIterator<Enriched> it = stream.executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void orderedModeGivesOneOutputPerInputInInputOrder() throws Exception {
        List<String> prompts = prompts(23);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Enriched> out = collect(enrich(events(env, prompts), 1, 40).ordered().capacity(8).apply());

        assertEquals(prompts.size(), out.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(i, out.get(i).id(), "output " + i + " is out of order");
        }
        checkTexts(out, reference);
        assertTrue(out.get(7).error().contains("prompt is null"), out.get(7).error());
        assertTrue(out.get(13).error().contains("but the model's context is 512 tokens"), out.get(13).error());
        List<String> completed = SlowEngine.stats(name).completionOrder;
        assertNotEquals(prompts.stream().map(String::valueOf).toList(), completed,
                "slow prompts should finish after later ones, or order would not be tested");
    }

    @Test
    void unorderedModeEmitsAsRequestsFinish() throws Exception {
        List<String> prompts = prompts(23);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Enriched> out = collect(enrich(events(env, prompts), 1, 40).unordered().capacity(8).apply());

        assertEquals(IntStream.range(0, prompts.size()).boxed().toList(),
                out.stream().map(e -> (int) e.id()).sorted().toList(), "every id exactly once");
        assertNotEquals(IntStream.range(0, prompts.size()).boxed().toList(),
                out.stream().map(e -> (int) e.id()).toList(), "slow prompts should come out after later ones");
        checkTexts(out, reference);
    }

    /**
     * Two subtasks in one TaskManager share one engine, closed after the job; errors are records, not losses; the
     * subtasks' metrics add up to what the records carry.
     */
    @Test
    void subtasksShareOneEngineClosedWithTheLastUser() throws Exception {
        int before = EngineRegistry.numOpenEngines();
        List<String> prompts = prompts(31);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<Enriched> enriched = enrich(events(env, prompts).rebalance(), 1, 3).unordered().capacity(4).apply();
        List<Enriched> out = new ArrayList<>();
        CloseableIterator<Enriched> it = enriched.collectAsync();
        JobClient job = env.executeAsync();
        try (it) {
            it.forEachRemaining(out::add);
        }
        job.getJobExecutionResult().get();

        assertEquals(prompts.size(), out.size());
        checkTexts(out, reference);
        JobID id = job.getJobID();
        assertEquals(prompts.size(), JobMetrics.sum(REPORTER, id, FloodMetrics.REQUESTS));
        assertEquals(2, JobMetrics.sum(REPORTER, id, FloodMetrics.ERRORS), "the null and the over-long prompt");
        assertEquals(out.stream().mapToLong(Enriched::completionTokens).sum(),
                JobMetrics.sum(REPORTER, id, FloodMetrics.GENERATED_TOKENS));
        assertEquals(0, JobMetrics.sum(REPORTER, id, FloodMetrics.IN_FLIGHT), "nothing in flight at the end");
        assertEquals(2, JobMetrics.named(REPORTER, id, FloodMetrics.GENERATED_TOKENS + "PerSecond").size(),
                "a tokens/s meter per subtask");
        SlowEngine.Stats stats = SlowEngine.stats(name);
        assertEquals(1, stats.opens.get(), "one engine for both subtasks");
        assertEquals(1, stats.closes.get(), "closed once, by the last subtask");
        assertEquals(before, EngineRegistry.numOpenEngines());
        assertEquals(prompts.size(), stats.submits(), "each record submitted once");
    }

    @Test
    void failModeFailsTheJobNamingTheError() {
        options.put(FloodOptions.ON_ERROR.key(), "FAIL");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<String> prompts = prompts(17);
        prompts.set(13, "only the null prompt fails");
        // results come back after 50 ms, once the source is done, so the job's first failure is the record's
        enrich(events(env, prompts), 50, 50).apply().sinkTo(new DiscardingSink<>());
        Exception e = assertThrows(Exception.class, env::execute);
        assertTrue(ExceptionUtils.findThrowableWithMessage(e, "Flood generation failed: prompt is null").isPresent(),
                () -> ExceptionUtils.stringifyException(e));
    }

    /**
     * A first attempt that fails is retried by Flink's retry strategy, with the same seed, hence the same text.
     * Flink stops retrying once the input has ended, so the last records (within capacity of the end) are not
     * flaky: capacity 2 keeps the source from ending before the flaky ones are done.
     */
    @Test
    void retriedRequestsGiveTheSameText() throws Exception {
        options.put(FloodOptions.ON_ERROR.key(), "FAIL");
        List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(seed), 13));
        for (int i = 0; i < prompts.size() - 3; i += 3) {
            prompts.set(i, SlowEngine.FLAKY + prompts.get(i));
        }
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Enriched> out = collect(enrich(events(env, prompts), 1, 1).ordered().capacity(2).retry(
                new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<Enriched>(3, 5)
                        .ifException(RETRY_FLOOD_ERRORS).build()).apply());

        assertEquals(prompts.size(), out.size());
        checkTexts(out, reference);
        SlowEngine.Stats stats = SlowEngine.stats(name);
        for (String prompt : prompts) {
            int expected = prompt.startsWith(SlowEngine.FLAKY) ? 2 : 1;
            assertEquals(expected, stats.submitsByPrompt.get(prompt), "submits of '" + prompt + "'");
        }
    }

    @Test
    void timedOutRecordsGetAnErrorResult() throws Exception {
        List<String> prompts = TestPrompts.random(new Random(seed), 5);
        List<String> withSlow = new ArrayList<>(prompts);
        withSlow.set(2, SlowEngine.SLOW + prompts.get(2));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Enriched> out = collect(enrich(events(env, withSlow), 1, 1_000).timeout(Duration.ofMillis(300)).apply());

        assertEquals(withSlow.size(), out.size());
        assertEquals("no result within the timeout of PT0.3S", out.get(2).error());
        for (int i : new int[] {0, 1, 3, 4}) {
            assertNull(out.get(i).error(), out.get(i).error());
        }
        assertEquals(1, SlowEngine.stats(name).cancelled.get(), "the timed-out record cancelled its request");
    }

    /**
     * With a slow engine the source is held back: at most {@code capacity} requests are in the engine, and the
     * records that left the source but have no result yet never exceed capacity + 1 (the one waiting to enter the
     * full queue), so memory does not grow with the input.
     */
    @Test
    void slowEngineBackpressuresTheSource() throws Exception {
        int capacity = 3;
        int count = 61;
        Backlog.reset(name);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<String> prompts = TestPrompts.random(new Random(seed), count);
        String statsName = name;
        DataStream<Event> events = env.fromSequence(0, count - 1)
                .map(i -> {
                    Backlog.emitted(statsName);
                    return new Event(i, prompts.get((int) (long) i));
                }).returns(Event.class);
        List<Enriched> out = collect(enrich(events, 8, 8).unordered().capacity(capacity).apply());

        assertEquals(count, out.size());
        SlowEngine.Stats stats = SlowEngine.stats(name);
        assertEquals(capacity, stats.maxInFlight.get(), "the engine should be the bottleneck, with a full queue");
        int backlog = Backlog.max(name);
        assertTrue(backlog <= capacity + 1, "records out of the source without a result: " + backlog);
    }

    private static void checkTexts(List<Enriched> out, Map<String, GenerationResult> reference) {
        for (Enriched e : out) {
            GenerationResult expected = reference.get(e.prompt());
            if (expected != null && !expected.isError()) {
                assertNull(e.error(), e.error());
                assertEquals(expected.text(), e.text(), "text of '" + e.prompt() + "'");
                assertEquals(expected.completionTokens(), e.completionTokens());
            } else {
                assertTrue(e.error() != null && !e.error().isEmpty(), "error result expected for " + e.id());
            }
        }
    }

    /** Records emitted by the source minus results handed back by the slow engine, at its largest. */
    static final class Backlog {
        private static final Map<String, AtomicInteger> EMITTED = new java.util.concurrent.ConcurrentHashMap<>();
        private static final Map<String, AtomicInteger> MAX = new java.util.concurrent.ConcurrentHashMap<>();

        static void reset(String name) {
            EMITTED.put(name, new AtomicInteger());
            MAX.put(name, new AtomicInteger());
        }

        static void emitted(String name) {
            int backlog = EMITTED.get(name).incrementAndGet() - SlowEngine.stats(name).completed.get();
            MAX.get(name).accumulateAndGet(backlog, Math::max);
        }

        static int max(String name) {
            return MAX.get(name).get();
        }
    }
}
