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
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.internal.FloodMetrics;
import dev.flood.flink.testing.JobMetrics;
import dev.flood.flink.testing.Records.Enriched;
import dev.flood.flink.testing.Records.Event;
import dev.flood.flink.testing.ControlledEngine;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import java.io.Serializable;
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
 * output per input, in order when asked, error results for bad prompts, retries, and a bounded number of requests
 * in flight when the engine is the bottleneck. Texts are checked against the same engine run outside Flink with
 * the same derived seeds (temperature 0.8, so a wrong seed would show). The engine hands results back in an order
 * the tests set ({@link ControlledEngine}), never after a delay; timeouts are tested with a manual clock in
 * {@link FloodAsyncTimeoutTest}.
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
        settings = FloodSettings.resolve(options, key -> null, TaskManagerSlots.UNKNOWN);
    }

    /** Every fifth prompt comes back late, after a later one; one null, one over-long. */
    private List<String> prompts(int count) {
        List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(seed), count));
        for (int i = 0; i < count; i += 5) {
            prompts.set(i, ControlledEngine.LATE + prompts.get(i));
        }
        prompts.set(7, null);
        prompts.set(13, TestPrompts.OVER_LONG);
        return prompts;
    }

    private static DataStream<Event> events(StreamExecutionEnvironment env, List<String> prompts) {
        List<Event> events = IntStream.range(0, prompts.size()).mapToObj(i -> new Event(i, prompts.get(i))).toList();
        return env.fromData(events, TypeInformation.of(Event.class));
    }

    /** @param gateInFlight see {@link ControlledEngine.Factory}; 0 for none */
    private FloodAsync<Event, Enriched> enrich(DataStream<Event> events, int gateInFlight) {
        Configuration conf = Configuration.fromMap(options);
        return FloodAsync.generate(events, Event::prompt, Enriched::of, ENRICHED).options(conf)
                .engineFactory(new ControlledEngine.Factory(name, gateInFlight));
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
        List<Enriched> out = collect(enrich(events(env, prompts), 0).ordered().capacity(8).apply());

        assertEquals(prompts.size(), out.size());
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(i, out.get(i).id(), "output " + i + " is out of order");
        }
        checkTexts(out, reference);
        assertTrue(out.get(7).error().contains("prompt is null"), out.get(7).error());
        assertTrue(out.get(13).error().contains("but the model's context is 512 tokens"), out.get(13).error());
        List<String> completed = ControlledEngine.stats(name).completionOrder;
        assertNotEquals(prompts.stream().map(String::valueOf).toList(), completed,
                "late prompts finish after later ones, so the order is the operator's doing");
    }

    @Test
    void unorderedModeEmitsAsRequestsFinish() throws Exception {
        List<String> prompts = prompts(23);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Enriched> out = collect(enrich(events(env, prompts), 0).unordered().capacity(8).apply());

        assertEquals(IntStream.range(0, prompts.size()).boxed().toList(),
                out.stream().map(e -> (int) e.id()).sorted().toList(), "every id exactly once");
        assertNotEquals(IntStream.range(0, prompts.size()).boxed().toList(),
                out.stream().map(e -> (int) e.id()).toList(), "late prompts come out after later ones");
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
        DataStream<Enriched> enriched = enrich(events(env, prompts).rebalance(), 0).unordered().capacity(4).apply();
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
        ControlledEngine.Stats stats = ControlledEngine.stats(name);
        assertEquals(1, stats.opens.get(), "one engine for both subtasks");
        assertEquals(1, stats.closes.get(), "closed once, by the last subtask");
        assertEquals(before, EngineRegistry.numOpenEngines());
        assertEquals(prompts.size(), stats.submits(), "each record submitted once");
    }

    /**
     * The null prompt's record fails the job with the engine's reason. The source never ends (the job can only end
     * by that failure), so no other event (such as the source's end reaching a failed task) can be reported first.
     */
    @Test
    void failModeFailsTheJobNamingTheError() {
        options.put(FloodOptions.ON_ERROR.key(), "FAIL");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<String> prompts = TestPrompts.random(new Random(seed), 11);
        DataStream<Event> events = env.fromSequence(0, Long.MAX_VALUE)
                .map(i -> new Event(i, i == 7 ? null : prompts.get((int) (i % prompts.size())))).returns(Event.class);
        enrich(events, 0).capacity(4).apply().sinkTo(new DiscardingSink<>());
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
            prompts.set(i, ControlledEngine.FLAKY + prompts.get(i));
        }
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<Enriched> out = collect(enrich(events(env, prompts), 0).ordered().capacity(2).retry(
                new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<Enriched>(3, 5)
                        .ifException(RETRY_FLOOD_ERRORS).build()).apply());

        assertEquals(prompts.size(), out.size());
        checkTexts(out, reference);
        ControlledEngine.Stats stats = ControlledEngine.stats(name);
        for (String prompt : prompts) {
            int expected = prompt.startsWith(ControlledEngine.FLAKY) ? 2 : 1;
            assertEquals(expected, stats.submitsByPrompt.get(prompt), "submits of '" + prompt + "'");
        }
    }

    /**
     * With the engine as the bottleneck the source is held back: the engine hands nothing back until
     * {@code capacity} requests are in flight (so the operator's queue fills), never more are, and the records
     * that left the source but have no result yet never exceed capacity + 1 (the one waiting to enter the full
     * queue), so memory does not grow with the input.
     */
    @Test
    void aBusyEngineBackpressuresTheSource() throws Exception {
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
        List<Enriched> out = collect(enrich(events, capacity).unordered().capacity(capacity).apply());

        assertEquals(count, out.size());
        assertEquals(capacity, ControlledEngine.stats(name).maxInFlight.get(), "the queue filled, and no further");
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

    /** Records emitted by the source minus results handed back by the engine, at its largest. */
    static final class Backlog {
        private static final Map<String, AtomicInteger> EMITTED = new java.util.concurrent.ConcurrentHashMap<>();
        private static final Map<String, AtomicInteger> MAX = new java.util.concurrent.ConcurrentHashMap<>();

        static void reset(String name) {
            EMITTED.put(name, new AtomicInteger());
            MAX.put(name, new AtomicInteger());
        }

        static void emitted(String name) {
            int backlog = EMITTED.get(name).incrementAndGet() - ControlledEngine.stats(name).completed();
            MAX.get(name).accumulateAndGet(backlog, Math::max);
        }

        static int max(String name) {
            return MAX.get(name).get();
        }
    }
}
