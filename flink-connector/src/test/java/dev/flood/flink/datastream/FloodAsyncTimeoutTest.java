package dev.flood.flink.datastream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.flood.flink.FloodOptions;
import dev.flood.flink.testing.ControlledEngine;
import dev.flood.flink.testing.Records.Enriched;
import dev.flood.flink.testing.Records.Event;
import dev.flood.flink.testing.TestPrompts;
import dev.flood.testing.Fixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * A record whose request outlives the timeout gets an error result and the others theirs, with the operator's
 * processing time set by hand (Flink's operator test harness): the test never waits for a clock. The engine holds
 * one prompt's result ({@link ControlledEngine#HELD}); once the others are back (in the operator's mailbox, taken
 * in), time moves past the timeout.
 */
class FloodAsyncTimeoutTest {

    private static final long TIMEOUT_MILLIS = 1_000;

    @Test
    void aRecordStillInFlightAtTheTimeoutGetsAnErrorResult() throws Exception {
        String name = "timeout-" + UUID.randomUUID();
        long seed = System.nanoTime();
        List<String> prompts = new ArrayList<>(TestPrompts.random(new Random(seed), 5));
        prompts.set(2, ControlledEngine.HELD + prompts.get(2));
        Map<String, String> options = Map.of(FloodOptions.MODEL_PATH.key(), Fixtures.model("tiny-llama").toString(),
                FloodOptions.THREADS.key(), "1", FloodOptions.MAX_NEW_TOKENS.key(), "3");
        FloodGenerateFunction<Event, Enriched> function = new FloodGenerateFunction<>(
                RequestMaker.ofPrompts(Event::prompt), Enriched::of, options, new ControlledEngine.Factory(name, 0),
                Duration.ofMillis(TIMEOUT_MILLIS));
        AsyncWaitOperatorFactory<Event, Enriched> operator = new AsyncWaitOperatorFactory<>(function, TIMEOUT_MILLIS,
                10, AsyncDataStream.OutputMode.ORDERED);

        List<Enriched> out;
        try (OneInputStreamOperatorTestHarness<Event, Enriched> harness = new OneInputStreamOperatorTestHarness<>(
                operator, TypeInformation.of(Event.class).createSerializer(new SerializerConfigImpl()))) {
            harness.open();
            harness.setProcessingTime(0);
            for (int i = 0; i < prompts.size(); i++) {
                harness.processElement(new Event(i, prompts.get(i)), 0);
            }
            ControlledEngine.stats(name).awaitDelivered(prompts.size() - 1);
            // the delivered results wait in the task's mailbox: take them in before the clock moves
            TaskMailbox mailbox = harness.getTaskMailbox();
            for (Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY); mail.isPresent();
                    mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY)) {
                mail.get().run();
            }
            harness.setProcessingTime(TIMEOUT_MILLIS + 1);
            harness.endInput();
            out = harness.extractOutputValues();
        } finally {
            ControlledEngine.releaseHeld(name);
        }

        assertEquals(prompts.size(), out.size(), "one output per input");
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(i, out.get(i).id(), "input order");
        }
        assertEquals("no result within the timeout of PT1S", out.get(2).error());
        assertEquals(1, ControlledEngine.stats(name).cancelled.get(), "the timed-out record cancelled its request");
        for (int i : new int[] {0, 1, 3, 4}) {
            assertNull(out.get(i).error(), out.get(i).error());
            assertEquals(3, out.get(i).completionTokens(), "a full result for '" + prompts.get(i) + "'");
        }
    }
}
