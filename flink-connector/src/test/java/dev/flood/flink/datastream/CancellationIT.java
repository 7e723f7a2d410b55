package dev.flood.flink.datastream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.flink.FloodOptions;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineLease;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.testing.CommitOnCheckpointSink;
import dev.flood.flink.testing.EngineHold;
import dev.flood.flink.testing.Polling;
import dev.flood.flink.testing.Records.Enriched;
import dev.flood.flink.testing.Records.Event;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.flink.testing.WatchedEngine;
import dev.flood.testing.Fixtures;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.LongStream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job cancel, an async timeout and a failover each cancel their requests in the engine: the requests leave its
 * running batch within the steps already in flight, and the engine reports each as cancelled.
 *
 * <p>Nothing depends on speed: the test holds the engine thread ({@link EngineHold}) from before the job starts,
 * lets it go on only until the job's requests are in its running batch, and holds it again while the job is
 * cancelled, times out or fails; the engine takes no step until the test releases it, so the steps counted after
 * the cancel are those the engine had launched, whatever the machine. The engine reports each request's end, and
 * its step count and running batch then, to {@link WatchedEngine}. The test holds its own lease on the job's
 * engine (same settings, same factory), so the engine opens before the job and stays open after it.
 */
class CancellationIT {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** More tokens than a request can generate before the hold takes the engine again. */
    private static final int MAX_NEW_TOKENS = 32;

    private final long seed = System.nanoTime();
    private final String name = "cancel-" + UUID.randomUUID();
    private Map<String, String> options;

    @BeforeEach
    void options() {
        options = Map.of(FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-llama").toString(),
                FloodOptions.THREADS.key(), "1",
                FloodOptions.MAX_NEW_TOKENS.key(), Integer.toString(MAX_NEW_TOKENS),
                FloodOptions.IGNORE_EOS.key(), "true");
    }

    private EngineLease lease() {
        FloodSettings settings = FloodSettings.resolve(options, key -> null, TaskManagerSlots.UNKNOWN);
        return EngineRegistry.acquire(settings.engine(), new WatchedEngine.Factory(name));
    }

    private FloodAsync<Event, Enriched> enrich(DataStream<Event> events) {
        return FloodAsync.generate(events, Event::prompt, Enriched::of, TypeInformation.of(Enriched.class))
                .options(Configuration.fromMap(options)).engineFactory(new WatchedEngine.Factory(name));
    }

    private static DataStream<Event> events(StreamExecutionEnvironment env, List<String> prompts) {
        return env.fromSequence(0, prompts.size() - 1).map(i -> new Event(i, prompts.get((int) (long) i)))
                .returns(Event.class);
    }

    /** The ends the engine reported of the requests whose prompts are {@code prompts}. */
    private static List<WatchedEngine.Ended> endedOf(WatchedEngine.Watch watch, List<String> prompts) {
        synchronized (watch.ended) {
            return watch.ended.stream().filter(e -> prompts.contains(e.prompt())).toList();
        }
    }

    /** Each request ended cancelled, with fewer tokens than asked, within the steps in flight at the cancel. */
    private static void assertCancelledWithin(List<WatchedEngine.Ended> ended, long stepsAtCancel, FloodEngine engine) {
        long lastStep = stepsAtCancel + engine.config().maxStepsInFlight() + 1;
        for (WatchedEngine.Ended e : ended) {
            assertEquals(FinishReason.CANCELLED, e.finishReason(), e.toString());
            assertTrue(e.completionTokens() < MAX_NEW_TOKENS, e.toString());
            assertTrue(e.steps() <= lastStep, e + " ended after step " + lastStep);
        }
    }

    @Test
    void aCancelledJobCancelsItsRequestsInFlight() throws Exception {
        List<String> prompts = TestPrompts.random(new Random(seed), 6);
        WatchedEngine.Watch watch = WatchedEngine.watch(name);
        try (EngineLease lease = lease(); EngineHold hold = EngineHold.start(lease.engine())) {
            FloodEngine engine = lease.engine();
            long cancelledBefore = engine.metrics().cancelledRequests();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            enrich(events(env, prompts)).unordered().capacity(prompts.size()).apply().sinkTo(new DiscardingSink<>());
            JobClient job = env.executeAsync();
            // the hold's request, then the job's
            Polling.await(() -> watch.submitted.get() == 1 + prompts.size(), "the job's requests");
            hold.holdAgainWhen(() -> engine.metrics().runningRequests() == 1 + prompts.size());
            long stepsAtCancel = hold.steps();

            job.cancel().get();
            Polling.await(() -> job.getJobStatus().join() == JobStatus.CANCELED, "the job to be cancelled");
            Polling.await(() -> watch.cancelledByCaller.get() == prompts.size(), "the operator to cancel its requests");
            hold.release();
            Polling.await(() -> endedOf(watch, prompts).size() == prompts.size(), "the engine to end the requests");

            List<WatchedEngine.Ended> ended = endedOf(watch, prompts);
            assertCancelledWithin(ended, stepsAtCancel, engine);
            // the hold's cancel was taken with theirs: after the last of them the engine ran nothing
            assertEquals(0, ended.get(ended.size() - 1).runningRequests(), ended.toString());
            Polling.await(() -> engine.metrics().cancelledRequests() - cancelledBefore == 1 + prompts.size(),
                    "the engine to count the cancels");
            assertEquals(0, engine.metrics().runningRequests());
        }
    }

    /**
     * The record's request cannot finish before its timeout fires, however slow or fast the machine: the engine is
     * held with it in the running batch (or, if the timer fires first, the cancel reaches the engine while it goes
     * on, and the hold takes it again at once).
     */
    @Test
    void anAsyncTimeoutCancelsItsRequest() throws Exception {
        List<String> prompts = TestPrompts.random(new Random(seed), 1);
        WatchedEngine.Watch watch = WatchedEngine.watch(name);
        try (EngineLease lease = lease(); EngineHold hold = EngineHold.start(lease.engine())) {
            FloodEngine engine = lease.engine();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            DataStream<Enriched> out = enrich(events(env, prompts)).unordered().capacity(1)
                    .timeout(Duration.ofSeconds(1)).apply();
            CloseableIterator<Enriched> results = out.collectAsync();
            JobClient job = env.executeAsync();
            Enriched result;
            long stepsAtCancel;
            try (results) {
                Polling.await(() -> watch.submitted.get() == 2, "the record's request");
                hold.holdAgainWhen(() -> engine.metrics().runningRequests() == 2 || watch.cancelledByCaller.get() == 1);
                result = results.next();
                stepsAtCancel = hold.steps();
                assertEquals(1, watch.cancelledByCaller.get(), "the timeout cancelled the request before answering");
                hold.release();
                assertFalse(results.hasNext(), "one record, one result");
            }
            job.getJobExecutionResult().get();

            assertEquals(0, result.id());
            assertEquals("no result within the timeout of PT1S", result.error());
            Polling.await(() -> endedOf(watch, prompts).size() == 1, "the engine to end the request");
            assertCancelledWithin(endedOf(watch, prompts), stepsAtCancel, engine);
        }
    }

    /**
     * A task failure while the requests are in the running batch: the failed attempt's operator cancels them, the
     * job restarts and every record is committed exactly once (checkpointing, and a sink that commits on completed
     * checkpoints). The failure is thrown by a map before the async operator, on the last record, when the test
     * says so: the requests of the records before it are in flight then.
     */
    @Test
    void aFailoverCancelsTheFailedAttemptsRequests() throws Exception {
        List<String> prompts = TestPrompts.random(new Random(seed), 6);
        List<String> failedAttempt = prompts.subList(0, prompts.size() - 1);
        WatchedEngine.Watch watch = WatchedEngine.watch(name);
        try (EngineLease lease = lease(); EngineHold hold = EngineHold.start(lease.engine())) {
            FloodEngine engine = lease.engine();
            Configuration conf = new Configuration();
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(20));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(1);
            env.enableCheckpointing(50);
            DataStream<Event> events = events(env, prompts).map(new FailOnSignal(name, prompts.size() - 1));
            enrich(events).unordered().capacity(prompts.size()).apply().uid("flood-generate")
                    .sinkTo(new CommitOnCheckpointSink<>(name));
            JobClient job = env.executeAsync();
            Polling.await(() -> watch.submitted.get() == 1 + failedAttempt.size(), "the first attempt's requests");
            hold.holdAgainWhen(() -> engine.metrics().runningRequests() == 1 + failedAttempt.size());
            long stepsAtCancel = hold.steps();

            FailOnSignal.fail(name);
            Polling.await(() -> watch.cancelledByCaller.get() == failedAttempt.size(),
                    "the failed attempt's operator to cancel its requests");
            hold.release();
            job.getJobExecutionResult().get();

            List<WatchedEngine.Ended> cancelled = endedOf(watch, failedAttempt).stream()
                    .filter(e -> e.finishReason() == FinishReason.CANCELLED).toList();
            assertEquals(failedAttempt.size(), cancelled.size(), "each of the first attempt's requests: " + cancelled);
            assertCancelledWithin(cancelled, stepsAtCancel, engine);
        }
        List<Enriched> committed = CommitOnCheckpointSink.committed(name);
        assertEquals(LongStream.range(0, prompts.size()).boxed().toList(),
                committed.stream().map(Enriched::id).sorted().toList(), "every record committed exactly once");
        for (Enriched e : committed) {
            assertNull(e.error(), e.error());
            assertEquals(MAX_NEW_TOKENS, e.completionTokens(), "record " + e.id() + " ran to its last token");
        }
    }

    /**
     * Passes events on; the first time it meets event {@code failAt} (per test name) it waits for {@link #fail},
     * then throws. Runs on the task thread, chained to the source.
     */
    static final class FailOnSignal implements MapFunction<Event, Event> {
        private static final Set<String> FAILED = ConcurrentHashMap.newKeySet();
        private static final Map<String, CountDownLatch> SIGNALS = new ConcurrentHashMap<>();

        private final String name;
        private final long failAt;

        FailOnSignal(String name, long failAt) {
            this.name = name;
            this.failAt = failAt;
        }

        static void fail(String name) {
            signal(name).countDown();
        }

        private static CountDownLatch signal(String name) {
            return SIGNALS.computeIfAbsent(name, n -> new CountDownLatch(1));
        }

        @Override
        public Event map(Event event) throws InterruptedException {
            if (event.id() == failAt && FAILED.add(name)) {
                Polling.await(signal(name), "the test's signal to fail");
                throw new IllegalStateException("injected failure at event " + event.id());
            }
            return event;
        }
    }
}
