package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.GenerationListener;
import dev.flood.api.SamplingParams;
import dev.flood.cache.PrefixCache;
import dev.flood.cache.SegmentAllocator;
import dev.flood.sampling.SamplingState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scheduler with prefix caching, driven step by step as the engine drives it but without a model: many
 * requests in a cache far too small for them, so that they preempt one another and evict cached prefixes, with
 * steps in flight. Prompts share prefixes, or share none (BatchInvarianceTest's: their cached blocks only split the
 * free space). Every request must finish, and within a bound on steps that only a scheduler making progress meets:
 * the three livelocks of preemption and prefix caching this test found fail it by count, not by time.
 */
class PrefixCacheSchedulingTest {

    private static final int VOCAB = 1024;

    /** The prompts of a run. */
    enum Prompts {
        /** 96 prompts, three in four behind one of three prefixes of 40 to 150 tokens. */
        SHARED_PREFIXES,
        /** BatchInvarianceTest's 64 prompts: one in eight of 150 to 299 tokens, the rest up to 60; nothing shared. */
        UNIQUE
    }

    static Stream<Arguments> engines() {
        List<Arguments> cases = new ArrayList<>();
        for (Prompts prompts : Prompts.values()) {
            for (int seed = 0; seed < 4; seed++) {
                for (CacheReservation reservation : CacheReservation.values()) {
                    cases.add(Arguments.of(prompts, seed, reservation, Scheduler.InFlight.CONSECUTIVE_STEPS, 1));
                    cases.add(Arguments.of(prompts, seed, reservation, Scheduler.InFlight.CONSECUTIVE_STEPS, 2));
                    cases.add(Arguments.of(prompts, seed, reservation, Scheduler.InFlight.ONE_STEP_PER_REQUEST, 3));
                    cases.add(Arguments.of(prompts, seed, reservation, Scheduler.InFlight.ONE_STEP_PER_REQUEST, 4));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, seed {1}, {2}, {3}, {4} steps in flight")
    @MethodSource("engines")
    void everyRequestFinishesThroughPreemptionAndEviction(Prompts prompts, long seed, CacheReservation reservation,
                                                          Scheduler.InFlight inFlight, int stepsInFlight) {
        Random random = new Random(seed);
        List<Sequence> sequences = new ArrayList<>();
        int totalTokens = 0;
        for (int[] prompt : prompts == Prompts.SHARED_PREFIXES ? sharedPrefixes(random) : unique(random)) {
            Sequence sequence = generation(sequences.size(), prompt, 4 + random.nextInt(13));
            sequences.add(sequence);
            totalTokens += sequence.maxTokens;
        }
        // 330 slots: above the largest request (299 prompt + 16 new tokens), a small part of what all need at once
        PrefixCache prefixCache = PrefixCache.on(new SegmentAllocator(330, 8));
        Scheduler scheduler = new Scheduler(prefixCache, reservation, 61, 256, inFlight);
        sequences.forEach(scheduler::add);

        // a round launches or collects a step, and a step feeds at least one token; a scheduler that makes progress
        // needs under a tenth of this many (the two livelocks this test found ran past it with most requests left)
        long maxRounds = 2L * totalTokens;
        Deque<StepPlan> launched = new ArrayDeque<>();
        long step = 0;
        for (long rounds = 0; scheduler.hasWork() || !launched.isEmpty(); rounds++) {
            assertTrue(rounds < maxRounds, "no progress: " + step + " steps in " + rounds + " rounds, "
                    + scheduler.numRunning() + " running, " + scheduler.numWaiting() + " waiting, "
                    + scheduler.preemptions() + " preemptions");
            while (launched.size() < stepsInFlight) {
                StepPlan plan = scheduler.schedule(step);
                if (plan.isEmpty()) {
                    break;
                }
                step++;
                plan.markLaunched();
                launched.addLast(plan);
            }
            if (!launched.isEmpty()) {
                collect(scheduler, launched.pollFirst());
            }
        }
        for (Sequence sequence : sequences) {
            assertTrue(sequence.isDone(), "request " + sequence.serial);
            assertEquals(sequence.maxTokens, sequence.numTokens(), "request " + sequence.serial);
        }
        if (prompts == Prompts.SHARED_PREFIXES) {
            assertTrue(prefixCache.stats().hitTokens() > 0, "no prefix was read from the cache");
        }
        assertTrue(prefixCache.stats().evictedTokens() > 0, "the small cache should force evictions");
        if (reservation == CacheReservation.INCREMENTAL) {
            assertTrue(scheduler.preemptions() > 0, "the small cache should force preemptions");
        }
    }

    /** What the engine does when a step is collected: tokens computed, blocks published, draws taken. */
    private static void collect(Scheduler scheduler, StepPlan plan) {
        for (StepPlan.Entry entry : plan.entries()) {
            Sequence sequence = entry.sequence();
            if (sequence.isDone()) {
                continue;
            }
            sequence.collected(entry.numTokens(), entry.sampleRow() >= 0);
            scheduler.computed(sequence);
            if (entry.sampleRow() >= 0 && sequence.work instanceof Generation generation) {
                int token = 3 + (sequence.numTokens() * 31 + (int) sequence.serial) % (VOCAB - 3);
                generation.samplingState().accept(token);
                sequence.append(token);
                if (sequence.numTokens() == sequence.maxTokens) {
                    scheduler.finish(sequence);
                }
            }
        }
    }

    private static Sequence generation(long serial, int[] prompt, int maxNewTokens) {
        SamplingParams params = SamplingParams.greedy(maxNewTokens);
        SamplingState state = new SamplingState(params, serial, VOCAB, prompt);
        Generation work = new Generation(params, state, null, GenerationListener.NONE);
        return new Sequence(serial, prompt, prompt.length + maxNewTokens, work);
    }

    private static List<int[]> sharedPrefixes(Random random) {
        List<int[]> prefixes = List.of(randomIds(random, 100), randomIds(random, 40), randomIds(random, 150));
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 96; i++) {
            int[] prefix = i % 4 == 3 ? new int[0] : prefixes.get(i % 3);
            int[] own = randomIds(random, 1 + random.nextInt(i % 8 == 0 ? 120 : 40));
            int[] prompt = Arrays.copyOf(prefix, prefix.length + own.length);
            System.arraycopy(own, 0, prompt, prefix.length, own.length);
            prompts.add(prompt);
        }
        return prompts;
    }

    private static List<int[]> unique(Random random) {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            prompts.add(randomIds(random, i % 8 == 0 ? 150 + random.nextInt(150) : 1 + random.nextInt(60)));
        }
        return prompts;
    }

    private static int[] randomIds(Random random, int length) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 3 + random.nextInt(VOCAB - 3);
        }
        return ids;
    }
}
