package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.GenerationListener;
import dev.flood.api.SamplingParams;
import dev.flood.cache.PrefixCache;
import dev.flood.cache.SegmentAllocator;
import dev.flood.sampling.SamplingState;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scheduler with steps in flight, step by step without a model: which requests a step may take while earlier
 * steps are in flight, what deferred rows and draw counters the plan carries, and whom preemption may pick.
 */
class SchedulerInFlightTest {

    private static final int VOCAB = 100;

    private static Sequence generation(long serial, int promptLength, SamplingParams params) {
        int[] prompt = new int[promptLength];
        for (int i = 0; i < promptLength; i++) {
            prompt[i] = 3 + i;
        }
        SamplingState state = new SamplingState(params, serial, VOCAB, prompt);
        Generation work = new Generation(params, state, null, GenerationListener.NONE);
        return new Sequence(serial, prompt, promptLength + params.maxNewTokens(), work);
    }

    private static Scheduler scheduler(int cacheTokens, Scheduler.InFlight inFlight, CacheReservation reservation) {
        return new Scheduler(PrefixCache.off(new SegmentAllocator(cacheTokens, 8)), reservation, 64, 16, inFlight);
    }

    /** Launches a plan and returns it. */
    private static StepPlan launch(Scheduler scheduler, long stepId) {
        StepPlan plan = scheduler.schedule(stepId);
        plan.markLaunched();
        return plan;
    }

    /** Collects a plan whose draws gave {@code token} for every sampled request. */
    private static void collect(StepPlan plan, int token) {
        for (StepPlan.Entry entry : plan.entries()) {
            entry.sequence().collected(entry.numTokens(), entry.sampleRow() >= 0);
            if (entry.sampleRow() >= 0 && entry.sequence().work instanceof Generation g) {
                g.samplingState().accept(token);
                entry.sequence().append(token);
            }
        }
    }

    @Test
    void oneStageFeedsTheTokenThePreviousStepIsDrawing() {
        Scheduler scheduler = scheduler(256, Scheduler.InFlight.CONSECUTIVE_STEPS, CacheReservation.FULL);
        Sequence greedy = generation(0, 5, SamplingParams.greedy(4));
        Sequence penalized = generation(1, 3, SamplingParams.builder().maxNewTokens(4).repetitionPenalty(1.2).build());
        scheduler.add(greedy);
        scheduler.add(penalized);

        StepPlan step0 = launch(scheduler, 0);
        assertEquals(2, step0.entries().size());
        assertEquals(2, step0.outputs().sampleRows().length, "both prompts end: both draw");
        assertEquals(0, step0.outputs().draws().get(0).counter());

        StepPlan step1 = launch(scheduler, 1);
        assertEquals(1, step1.entries().size(), "the penalized request waits for its token to reach the host");
        StepPlan.Entry deferred = step1.entries().get(0);
        assertEquals(greedy, deferred.sequence());
        assertEquals(5, deferred.first());
        assertArrayEquals(new int[] {0}, step1.batch().deferredTokens(), "sample row 0 of step 0");
        assertArrayEquals(new int[] {5}, step1.batch().positions());
        assertEquals(1, step1.outputs().draws().get(0).counter(), "the second generated token: counter 1");
        assertEquals(2, greedy.pendingSamples());

        StepPlan step2 = launch(scheduler, 2);
        assertEquals(List.of(greedy), step2.entries().stream().map(StepPlan.Entry::sequence).toList(),
                "greedy goes on from step 1; the penalized request still waits for step 0");
        assertArrayEquals(new int[] {0}, step2.batch().deferredTokens(), "sample row 0 of step 1");
        assertEquals(2, step2.outputs().draws().get(0).counter());

        collect(step0, 42);
        StepPlan step3 = launch(scheduler, 3);
        assertEquals(List.of(greedy, penalized), step3.entries().stream().map(StepPlan.Entry::sequence).toList());
        assertArrayEquals(new int[] {0, -1}, step3.batch().deferredTokens(), "greedy reads step 2; penalized is known");
        assertEquals(42, step3.batch().tokenIds()[1]);
        assertEquals(3, step3.outputs().draws().get(0).counter());
        assertEquals(1, step3.outputs().draws().get(1).counter());
    }

    @Test
    void aTokenThatEndsTheRequestByLengthIsNeverFed() {
        Scheduler scheduler = scheduler(256, Scheduler.InFlight.CONSECUTIVE_STEPS, CacheReservation.FULL);
        Sequence twoTokens = generation(0, 4, SamplingParams.greedy(2));
        scheduler.add(twoTokens);
        launch(scheduler, 0);
        StepPlan step1 = launch(scheduler, 1);
        assertEquals(1, step1.entries().size(), "the first token is fed to draw the second");
        assertTrue(scheduler.schedule(2).isEmpty(), "the second token is the last: nothing feeds it");
        assertEquals(0, twoTokens.tokensToFeed());
    }

    @Test
    void severalStagesTakeARequestInOneStepAtATime() {
        Scheduler scheduler = scheduler(256, Scheduler.InFlight.ONE_STEP_PER_REQUEST, CacheReservation.FULL);
        Sequence first = generation(0, 5, SamplingParams.greedy(4));
        scheduler.add(first);
        StepPlan step0 = launch(scheduler, 0);
        Sequence second = generation(1, 70, SamplingParams.greedy(4));
        scheduler.add(second);
        StepPlan step1 = launch(scheduler, 1);
        assertEquals(List.of(second), step1.entries().stream().map(StepPlan.Entry::sequence).toList());
        assertEquals(64, step1.entries().get(0).numTokens(), "a chunk of the step budget");
        assertTrue(scheduler.schedule(2).isEmpty(), "both requests are in flight");
        collect(step0, 9);
        StepPlan step2 = launch(scheduler, 2);
        assertEquals(List.of(first), step2.entries().stream().map(StepPlan.Entry::sequence).toList());
        assertArrayEquals(new int[] {-1}, step2.batch().deferredTokens());
        assertArrayEquals(new int[] {9}, step2.batch().tokenIds());
    }

    @Test
    void preemptionNeverPicksARequestInFlight() {
        // 48 slots: old takes 10 + 16, young 4 + 16; when old outgrows its 26, only young's cache could make room
        Scheduler scheduler = scheduler(48, Scheduler.InFlight.ONE_STEP_PER_REQUEST, CacheReservation.INCREMENTAL);
        Sequence old = generation(0, 10, SamplingParams.greedy(20));
        scheduler.add(old);
        StepPlan step0 = launch(scheduler, 0);
        Sequence young = generation(1, 4, SamplingParams.greedy(20));
        scheduler.add(young);
        StepPlan step1 = launch(scheduler, 1);
        assertEquals(List.of(young), step1.entries().stream().map(StepPlan.Entry::sequence).toList());
        collect(step0, 7);
        for (long step = 2; old.cache().capacityTokens() >= old.numFed() + 1; step++) {
            StepPlan plan = scheduler.schedule(step);
            if (plan.isEmpty()) {
                break;
            }
            plan.markLaunched();
            collect(plan, 7);
        }
        assertEquals(1, young.inFlight(), "young's step 1 is still in flight");
        long before = scheduler.preemptions();
        StepPlan starved = scheduler.schedule(100);
        assertEquals(before, scheduler.preemptions(), "young is in flight: old waits instead of preempting");
        assertTrue(starved.isEmpty(), starved.entries().toString());
        assertEquals(1, young.inFlight());
        collect(step1, 7);
        StepPlan grown = scheduler.schedule(101);
        assertEquals(before + 1, scheduler.preemptions(), "back from flight, young gives its cache up");
        assertEquals(List.of(old), grown.entries().stream().map(StepPlan.Entry::sequence).toList());
        assertEquals(0, young.numFed(), "young starts again from its prompt");
    }
}
