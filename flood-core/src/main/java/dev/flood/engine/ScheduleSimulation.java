package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.GenerationListener;
import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.cache.PrefixCache;
import dev.flood.cache.SegmentAllocator;
import dev.flood.sampling.SamplingState;

/**
 * The steps the engine would run for a generation job, planned by its own {@link Scheduler} with no model: each
 * request feeds its prompt and then draws exactly its given number of tokens (as with EOS ignored). The cost model
 * ({@link dev.flood.estimate.ThroughputModel}) prices what this counts; calibration prices the engine's measured
 * runs through the same simulation, so what the simulation leaves out (steps in flight run a few extra steps for
 * deferred tokens) is absorbed alike on both sides. Steps run one at a time here.
 */
public final class ScheduleSimulation {

    /** Every simulated request shares one generation: the scheduler only asks whether it may defer tokens. */
    private static final Generation WORK = new Generation(SamplingParams.greedy(1),
            new SamplingState(SamplingParams.greedy(1), 0, 1, new int[0]), null, GenerationListener.NONE);

    /**
     * What the steps of a job add up to.
     *
     * @param steps             forward passes
     * @param fedTokens         token rows fed (prompt and generated tokens; recomputation after preemption included)
     * @param attendedPositions over fed tokens, the positions each attends to (its position + 1): attention's work
     * @param sampledRows       logits rows drawn from (one per generated token)
     * @param promptTokens      prompt tokens fed, recomputation included
     * @param requests          requests simulated (those the engine would reject are left out)
     */
    public record Totals(long steps, long fedTokens, long attendedPositions, long sampledRows, long promptTokens,
                         long requests) {

        /** Every count times {@code factor}, rounded: a sample's totals scaled to the whole job. */
        public Totals scaled(double factor) {
            return new Totals(Math.round(steps * factor), Math.round(fedTokens * factor),
                    Math.round(attendedPositions * factor), Math.round(sampledRows * factor),
                    Math.round(promptTokens * factor), Math.round(requests * factor));
        }
    }

    private ScheduleSimulation() {
    }

    /**
     * Plans a job whose request i has {@code promptLengths[i]} prompt tokens (at least 1) and generates
     * {@code outputLengths[i]} tokens (at least 1; fewer when the model's context of {@code maxPositions} ends it),
     * all queued at once, under {@code config}'s step budget, running limit and reservation with a cache of
     * {@code cacheTokens} slots. Requests the engine would reject (no room in the context or the cache) are left out.
     */
    public static Totals run(EngineConfig config, int maxPositions, int cacheTokens, int[] promptLengths,
                             int[] outputLengths) {
        if (!config.hasStepLimits()) {
            throw new IllegalArgumentException("a schedule needs the step limits resolved, got step budget "
                    + config.maxBatchTokens() + " and running limit " + config.maxRunningRequests());
        }
        if (promptLengths.length != outputLengths.length) {
            throw new IllegalArgumentException(promptLengths.length + " prompt lengths with " + outputLengths.length
                    + " output lengths");
        }
        // without prefix caching: the estimate's prompts are lengths only, so no prefix is known to be shared
        Scheduler scheduler = new Scheduler(PrefixCache.off(new SegmentAllocator(cacheTokens,
                LoadedModel.MAX_EXTENTS_PER_REQUEST)),
                config.reservation(), config.maxBatchTokens(), config.maxRunningRequests(),
                Scheduler.InFlight.CONSECUTIVE_STEPS);
        long requests = 0;
        for (int i = 0; i < promptLengths.length; i++) {
            int prompt = Math.max(1, promptLengths[i]);
            int maxTokens = (int) Math.min((long) prompt + Math.max(1, outputLengths[i]), maxPositions);
            if (prompt < maxPositions && maxTokens <= cacheTokens) {
                scheduler.add(new Sequence(i, new int[prompt], maxTokens, WORK));
                requests++;
            }
        }
        long steps = 0;
        long fed = 0;
        long attended = 0;
        long sampled = 0;
        long promptTokens = 0;
        while (scheduler.hasWork()) {
            StepPlan plan = scheduler.schedule(steps);
            if (plan.isEmpty()) {
                throw new IllegalStateException("the simulated scheduler planned nothing with "
                        + scheduler.numRunning() + " running and " + scheduler.numWaiting() + " waiting");
            }
            plan.markLaunched();
            ForwardBatch batch = plan.batch();
            steps++;
            fed += batch.numTokens();
            for (int position : batch.positions()) {
                attended += position + 1;
            }
            sampled += plan.outputs().sampleRows().length;
            promptTokens += plan.promptTokens();
            for (StepPlan.Entry entry : plan.entries()) {
                Sequence sequence = entry.sequence();
                sequence.collected(entry.numTokens(), entry.sampleRow() >= 0);
                if (entry.sampleRow() >= 0) {
                    sequence.append(0);
                    if (sequence.numTokens() >= sequence.maxTokens) {
                        scheduler.finish(sequence);
                    }
                }
            }
        }
        return new Totals(steps, fed, attended, sampled, promptTokens, requests);
    }
}
