package dev.flood.flink.datastream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.GenerationResult;
import dev.flood.flink.FloodOptions;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.testing.CommitOnCheckpointSink;
import dev.flood.flink.testing.Records.Enriched;
import dev.flood.flink.testing.Records.Event;
import dev.flood.flink.testing.ControlledEngine;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.LongStream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.source.legacy.RichSourceFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Checkpointing on, one injected failure after a checkpoint has completed: the failed pipeline restarts from the
 * checkpoint, the async operator re-issues the events whose requests were in flight when it was taken (they are
 * part of its state), and a sink that commits only on completed checkpoints ends with every record exactly once.
 * Sampling at temperature 0.9 with derived seeds makes the re-issued requests' texts equal to the first attempts'
 * (checked against the engine run outside Flink).
 *
 * <p>Nothing here depends on speed: the engine hands back no result until a checkpoint has completed (its gate
 * opens in the failing map's checkpoint notification), the async operator's capacity holds every record, and the
 * source stays open until the gate has opened, so checkpoints go on with all requests in flight and the records
 * reach the failing map only after a completed checkpoint. (A source that finished first would end the async
 * operator's input, which then waits for its requests before it takes another barrier: no checkpoint could
 * complete and the gate would never open.)
 */
class ExactlyOnceIT {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void failureMidStreamRestoresAndCommitsEveryRecordOnce() throws Exception {
        long seed = System.nanoTime();
        String name = "exactly-once-" + UUID.randomUUID();
        int count = 161;
        Map<String, String> options = Map.of(
                FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-qwen3").toString(),
                FloodOptions.THREADS.key(), "1",
                FloodOptions.MAX_NEW_TOKENS.key(), "6",
                FloodOptions.TEMPERATURE.key(), "0.9",
                FloodOptions.TOP_K.key(), "50",
                FloodOptions.SEED.key(), Long.toString(seed));
        List<String> prompts = TestPrompts.random(new Random(seed), count);
        Map<String, GenerationResult> reference = TestPrompts.reference(prompts, FloodSettings.resolve(options, k -> null, TaskManagerSlots.UNKNOWN));

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(20));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(50);
        FloodAsync.generate(
                        env.addSource(new HeldSequence(name, count), TypeInformation.of(Long.class))
                                .map(i -> new Event(i, prompts.get((int) (long) i))).returns(Event.class),
                        Event::prompt, Enriched::of, TypeInformation.of(Enriched.class))
                .options(Configuration.fromMap(options))
                .engineFactory(new ControlledEngine.Factory(name, ControlledEngine.UNTIL_OPENED))
                .ordered().capacity(count)
                .apply().uid("flood-generate")
                .map(new FailOnceAfterCheckpoint(name, count / 8)).returns(Enriched.class)
                .sinkTo(new CommitOnCheckpointSink<>(name));
        env.execute();

        assertTrue(FailOnceAfterCheckpoint.FAILED.contains(name), "the job should have failed once and restarted");
        assertFalse(FailOnceAfterCheckpoint.EARLY.contains(name), "a record came back before a checkpoint completed");
        List<Enriched> committed = CommitOnCheckpointSink.committed(name);
        assertEquals(LongStream.range(0, count).boxed().toList(), committed.stream().map(Enriched::id).sorted().toList(),
                "every record committed exactly once (seed " + seed + ")");
        for (Enriched e : committed) {
            assertNull(e.error(), e.error());
            assertEquals(reference.get(e.prompt()).text(), e.text(), "text of record " + e.id() + " (seed " + seed + ")");
        }
        int submits = ControlledEngine.stats(name).submits();
        assertTrue(submits > count, "requests after the checkpoint are issued again after the restore: " + submits);
    }

    /**
     * The ids 0 to count - 1, its position in operator state so a restore does not repeat them; then it stays open
     * until the engine's gate has opened (polling the flag; only the order of events matters).
     */
    static final class HeldSequence extends RichSourceFunction<Long> implements CheckpointedFunction {
        private final String name;
        private final long count;
        private transient ListState<Long> position;
        private transient long next;
        private volatile boolean running = true;

        HeldSequence(String name, long count) {
            this.name = name;
            this.count = count;
        }

        @Override
        public void run(SourceContext<Long> context) throws InterruptedException {
            while (running && next < count) {
                synchronized (context.getCheckpointLock()) {
                    context.collect(next);
                    next++;
                }
            }
            while (running && !ControlledEngine.stats(name).gateOpen()) {
                Thread.sleep(10);
            }
        }

        @Override
        public void cancel() {
            running = false;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            position.update(List.of(next));
        }

        @Override
        public void initializeState(FunctionInitializationContext context) throws Exception {
            position = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("next", Long.class));
            for (Long restored : position.get()) {
                next = restored;
            }
        }
    }

    /**
     * Throws once per test, in the first subtask to see {@code afterRecords} records. No record should reach it
     * before a checkpoint has completed (the first completion notification, in any subtask, opens the engine's
     * gate); one that does is noted in {@link #EARLY} rather than thrown, which a restart would hide.
     */
    static final class FailOnceAfterCheckpoint extends RichMapFunction<Enriched, Enriched> implements CheckpointListener {
        static final Set<String> FAILED = ConcurrentHashMap.newKeySet();
        static final Set<String> EARLY = ConcurrentHashMap.newKeySet();

        private final String name;
        private final int afterRecords;
        private transient int numSeen;

        FailOnceAfterCheckpoint(String name, int afterRecords) {
            this.name = name;
            this.afterRecords = afterRecords;
        }

        @Override
        public void open(OpenContext openContext) {
            numSeen = 0;
        }

        @Override
        public Enriched map(Enriched value) {
            numSeen++;
            if (!ControlledEngine.stats(name).gateOpen()) {
                EARLY.add(name);
            }
            if (numSeen >= afterRecords && FAILED.add(name)) {
                throw new IllegalStateException("injected failure at record " + value.id());
            }
            return value;
        }

        /** The first completed checkpoint lets the engine hand its results back. */
        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            ControlledEngine.openGate(name);
        }
    }
}
