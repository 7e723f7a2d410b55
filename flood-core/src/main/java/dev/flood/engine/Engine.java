package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationHandle;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.backend.StepOutputs;
import dev.flood.cache.PrefixCache;
import dev.flood.cache.SegmentAllocator;
import dev.flood.config.ModelConfig;
import dev.flood.engine.pipeline.BackendFactory;
import dev.flood.engine.pipeline.Collected;
import dev.flood.engine.pipeline.Pipeline;
import dev.flood.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: one thread runs {@link #loop()} (schedule and launch, collect and post-process) over a batch that
 * every caller shares; callers on any thread turn their input into {@link Sequence}s ({@link Intake}) and wait on
 * futures. Steps run through a {@link Pipeline} of stages, several in flight at once: while the devices run
 * one step, this thread launches the next and post-processes the one before.
 *
 * <p>Cancels come from callers' threads through a queue; the engine thread takes them before each launch, so a
 * cancelled request is in no step launched after that, and rows of it that steps in flight hold are discarded as
 * for a request that finished meanwhile.
 *
 * <p>A step that fails heals the engine ({@link #heal}): the pipeline is closed and opened again and every
 * unfinished request is recomputed from its tokens, as after a preemption. Seeds and draw counters belong to each
 * request, so its results are those of an undisturbed run, and its listener never sees a token twice (only tokens
 * taken on the host are streamed, and those are kept).
 */
public final class Engine implements FloodEngine {

    /**
     * One line when an engine opens and one when it closes (the CLI, Spark executors and Flink TaskManagers log
     * them).
     */
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    private final EngineConfig config;
    private final Recovery recovery;
    private final Scheduler scheduler;
    private final Intake intake;
    private final EngineContext context;
    private final Counters counters;
    private final BlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    private final Queue<Sequence> cancels = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile LoadedModel loaded;   // replaced by the engine thread when it heals
    private PrefixCache prefixCache;       // replaced with the cache it indexes when the engine heals
    private volatile int cacheCapacity;    // loaded's cache slots, read by callers' threads
    private String broken;                 // why no step can run any more (the pipeline could not be reopened)
    private long nextStepId;
    private volatile boolean closed;

    private Engine(LoadedModel loaded, BackendFactory backends, Recovery.Policy policy) {
        this.config = loaded.engineConfig();
        this.loaded = loaded;
        this.recovery = new Recovery(policy, backends, config);
        SegmentAllocator allocator = loaded.allocator();
        this.cacheCapacity = allocator.capacityTokens();
        this.prefixCache = newPrefixCache(allocator);
        this.scheduler = new Scheduler(prefixCache, config.reservation(), config.maxBatchTokens(),
                config.maxRunningRequests(), loaded.pipeline().numStages() == 1
                        ? Scheduler.InFlight.CONSECUTIVE_STEPS : Scheduler.InFlight.ONE_STEP_PER_REQUEST);
        this.context = loaded.context();
        this.counters = new Counters(allocator.stats(), prefixCache.stats(), loaded.pipeline().metrics());
        this.intake = new Intake(config, loaded, counters, () -> cacheCapacity);
        this.thread = new Thread(this::run, "flood-engine");
        this.thread.setDaemon(true);
    }

    /** Loads the model named by the config and starts the engine thread. */
    public static Engine open(EngineConfig config) {
        return open(config, BackendFactory.STANDARD, Recovery.Policy.DEFAULT);
    }

    /** As {@link #open(EngineConfig)} with the stages' backends from {@code backends} (tests inject faults here). */
    static Engine open(EngineConfig config, BackendFactory backends, Recovery.Policy policy) {
        Engine engine = new Engine(LoadedModel.load(config, backends), backends, policy);
        engine.thread.start();
        engine.logOpened();
        return engine;
    }

    /** One line that Spark executors' and Flink TaskManagers' logs show: what this engine runs, where, how big. */
    private void logOpened() {
        ModelConfig model = loaded.config();
        String where = config.backend().equals("cuda") ? "GPUs " + config.devices()
                : config.threads() + " threads";
        LOG.info("Flood engine open: model {} ({}, {} layers), {} backend on {}, {} stage(s), KV cache {} tokens,"
                + " steps of {} tokens and {} running requests, {} steps in flight", config.modelPath(),
                model.architecture(), model.numLayers(), config.backend(), where, config.numStages(), cacheCapacity,
                config.maxBatchTokens(), config.maxRunningRequests(), config.maxStepsInFlight());
    }

    private PrefixCache newPrefixCache(SegmentAllocator allocator) {
        return config.prefixCaching() == EngineConfig.PrefixCaching.ON
                ? PrefixCache.on(allocator) : PrefixCache.off(allocator);
    }

    private Pipeline<StepPlan> pipeline() {
        return loaded.pipeline();
    }

    /** The engine thread: the loop, and if it ever throws (a bug), every request then fails rather than hangs. */
    private void run() {
        try {
            loop();
        } catch (RuntimeException | Error e) {
            LOG.error("Flood engine thread failed; every request fails from now on", e);
            String error = "the engine thread failed: " + e;
            broken = error;
            closed = true;
            List<Runnable> completions = new ArrayList<>();
            failUnfinished(error, completions);
            for (Sequence s; (s = incoming.poll()) != null; ) {
                Sequence sequence = s;
                completions.add(() -> sequence.work.fail(error, sequence));
            }
            runAll(completions);
        }
    }

    private void loop() {
        while (!closed) {
            List<Runnable> completions = new ArrayList<>();
            takeIncoming(completions);
            takeCancels(completions);
            while (broken == null && pipeline().hasRoom() && launchNext()) {
                continue;
            }
            if (!pipeline().isEmpty()) {
                collectOldest(completions);
            }
            publish();
            runAll(completions);
        }
        List<Runnable> completions = new ArrayList<>();
        while (!pipeline().isEmpty()) {
            collectOldest(completions);
        }
        failUnfinished("the engine was closed before this request finished", completions);
        publish();
        runAll(completions);
    }

    /** Plans the next step and launches it; false when nothing can run now. */
    private boolean launchNext() {
        StepPlan plan = scheduler.schedule(nextStepId);
        if (plan.isEmpty()) {
            return false;
        }
        nextStepId++;
        plan.markLaunched();
        pipeline().launch(plan);
        return true;
    }

    /**
     * Waits for the oldest step in flight and hands each of its requests what it computed; the completions of the
     * requests it finished go to {@code completions}, to be announced once the engine's metrics include this step.
     */
    private void collectOldest(List<Runnable> completions) {
        Collected<StepPlan> collected = pipeline().collect();
        StepPlan plan = collected.microBatch();
        if (collected.failure() != null && closed) {
            // closing: no restart, the step's requests fail
            for (StepPlan.Entry entry : plan.entries()) {
                if (!entry.sequence().isDone()) {
                    finish(entry.sequence(), "step failed: " + Recovery.describe(collected.failure()), completions);
                }
            }
            return;
        }
        if (collected.failure() != null) {
            heal(collected.failure(), completions);
            return;
        }
        int generated = postprocess(plan, collected.outputs(), completions);
        counters.step(plan.entries().size(), plan.promptTokens(), generated, collected.launchedNanos());
    }

    /**
     * Hands each request what its rows gave; returns the number of tokens taken. Rows of requests that finished,
     * failed or were cancelled since the step was launched are discarded; a row whose logits could not be used
     * fails its request alone.
     */
    private int postprocess(StepPlan plan, StepOutputs outputs, List<Runnable> completions) {
        int sampled = 0;
        for (StepPlan.Entry entry : plan.entries()) {
            Sequence sequence = entry.sequence();
            if (sequence.isDone()) {
                continue;
            }
            sequence.collected(entry.numTokens(), entry.sampleRow() >= 0);
            String rowError = rowError(entry, outputs);
            if (rowError != null) {
                finish(sequence, rowError, completions);
                continue;
            }
            scheduler.computed(sequence);
            try {
                if (sequence.work instanceof Scoring scoring) {
                    scoring.accept(entry.first(), Arrays.copyOfRange(outputs.scores(), entry.scoreRow(),
                            entry.scoreRow() + entry.numScores()));
                    if (scoring.isDone(sequence)) {
                        finish(sequence, null, completions);
                        completions.add(() -> scoring.complete(sequence));
                    }
                } else if (sequence.work instanceof Generation generation && entry.sampleRow() >= 0) {
                    int token = outputs.tokens()[entry.sampleRow()];
                    FinishReason finish = generation.accept(sequence, token,
                            outputs.tokenLogprobs()[entry.sampleRow()], context);
                    sampled++;
                    if (finish != null) {
                        int[] generatedIds = sequence.generatedTokens();
                        finish(sequence, null, completions);
                        completions.add(() -> generation.complete(sequence.promptLength, generatedIds, finish));
                    }
                }
            } catch (FloodException e) {
                finish(sequence, e.getMessage(), completions);
            } catch (RuntimeException e) {
                finish(sequence, "post-processing failed: " + e, completions);
            }
        }
        return sampled;
    }

    /** The error of the entry's sample row or of its first failed score row, or null. */
    private static String rowError(StepPlan.Entry entry, StepOutputs outputs) {
        if (entry.sampleRow() >= 0) {
            return outputs.sampleErrors()[entry.sampleRow()];
        }
        for (int r = entry.scoreRow(); r < entry.scoreRow() + entry.numScores(); r++) {
            if (outputs.scoreErrors()[r] != null) {
                return outputs.scoreErrors()[r];
            }
        }
        return null;
    }

    /**
     * A step failed for a reason that is no request's own (the rows' own failures come back in the outputs): a
     * device error, running out of memory, a backend exception. Collects the other steps in flight (their results
     * are not wanted), closes the pipeline and has {@link Recovery} reopen it; every unfinished request starts
     * again from its tokens. When the policy allows no more restarts the unfinished requests fail with the cause;
     * if no pipeline can be opened, every request fails from then on.
     */
    private void heal(Throwable fault, List<Runnable> completions) {
        while (!pipeline().isEmpty()) {
            pipeline().collect();
        }
        try {
            pipeline().close();
        } catch (RuntimeException e) {
            fault.addSuppressed(e);
        }
        Recovery.Outcome outcome = recovery.reopen(fault, loaded, scheduler.numRunning() + scheduler.numWaiting(),
                scheduler.largestRequest());
        if (outcome.failure() != null) {
            failUnfinished(outcome.failure(), completions);
        }
        if (outcome.reopened() == null) {
            broken = outcome.broken();
            failUnfinished(broken, completions);
            return;
        }
        loaded = outcome.reopened();
        cacheCapacity = loaded.allocator().capacityTokens();
        prefixCache = newPrefixCache(loaded.allocator());   // the old cache's prefixes were in the closed pipeline
        scheduler.reopen(prefixCache, recovery.running().maxBatchTokens());
        counters.restarted();
    }

    /** Frees the sequence's cache now; its failure, if {@code error} is given, is announced with the completions. */
    private void finish(Sequence sequence, String error, List<Runnable> completions) {
        if (error != null) {
            completions.add(() -> sequence.work.fail(error, sequence));
        }
        scheduler.finish(sequence);
        counters.completed(error != null);
    }

    /** Fails every queued and running request with {@code error}. */
    private void failUnfinished(String error, List<Runnable> completions) {
        for (Sequence sequence : scheduler.drainAll()) {
            completions.add(() -> sequence.work.fail(error, sequence));
            counters.completed(true);
        }
    }

    /** Runs completions; one whose listener throws does not keep the others (or the engine) from running. */
    private static void runAll(List<Runnable> completions) {
        for (Runnable completion : completions) {
            try {
                completion.run();
            } catch (RuntimeException e) {
                LOG.warn("Flood engine: a request's listener threw on completion", e);
            }
        }
    }

    private void publish() {
        counters.publish(scheduler.numRunning(), scheduler.numWaiting(), scheduler.preemptions(),
                pipeline().peakDeviceMemoryBytes(), loaded.allocator().stats(), prefixCache.stats(),
                pipeline().metrics());
    }

    /** Moves queued requests to the scheduler; waits briefly for one when there is nothing at all to do. */
    private void takeIncoming(List<Runnable> completions) {
        try {
            if (!scheduler.hasWork() && pipeline().isEmpty()) {
                pipeline().noteNoWork();
                Sequence first = incoming.poll(100, TimeUnit.MILLISECONDS);
                if (first != null) {
                    admit(first, completions);
                }
            }
            for (Sequence s; (s = incoming.poll()) != null; ) {
                admit(s, completions);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /**
     * Hands a queued request to the scheduler, unless it was cancelled before it got here, or it can no longer run:
     * the engine is broken, or it reopened after running out of memory with a cache too small for the request.
     */
    private void admit(Sequence sequence, List<Runnable> completions) {
        if (sequence.isDone()) {
            return;
        }
        if (broken != null) {
            finish(sequence, broken, completions);
        } else if (sequence.maxTokens > cacheCapacity) {
            finish(sequence, "request needs " + sequence.maxTokens + " KV cache slots but the engine reopened with "
                    + cacheCapacity + " after running out of memory; lower max tokens", completions);
        } else {
            scheduler.add(sequence);
        }
    }

    /** Ends each request whose caller cancelled it, with what it has so far; it takes part in no further step. */
    private void takeCancels(List<Runnable> completions) {
        for (Sequence s; (s = cancels.poll()) != null; ) {
            if (!s.isDone()) {
                Sequence sequence = s;
                scheduler.finish(sequence);
                counters.cancelled();
                completions.add(() -> sequence.work.cancel(sequence));
            }
        }
    }

    private void enqueue(Sequence sequence) {
        sequence.work.future().onCancel(() -> cancels.add(sequence));
        incoming.add(sequence);
        // close() drains the queue after the thread stops; whichever of the two removes the sequence fails it
        if (closed && incoming.remove(sequence)) {
            sequence.work.fail("the engine is closed", sequence);
        }
    }

    @Override
    public CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener) {
        Intake.Admitted<GenerationResult> admitted = intake.generation(request, listener);
        admitted.sequences().forEach(this::enqueue);
        return admitted.future();
    }

    @Override
    public GenerationHandle stream(GenerateRequest request, GenerationListener listener) {
        Intake.Admitted<GenerationResult> admitted = intake.generation(request, listener);
        admitted.sequences().forEach(this::enqueue);
        Runnable canceller = () -> cancels.addAll(admitted.sequences());
        return new GenerationHandle(admitted.future(), canceller);
    }

    @Override
    public List<GenerationResult> generate(List<GenerateRequest> requests) {
        return awaitAll(requests.stream().map(r -> submit(r, GenerationListener.NONE)).toList());
    }

    @Override
    public CompletableFuture<ScoreResult> submitScore(ScoreRequest request) {
        Intake.Admitted<ScoreResult> admitted = intake.scoring(request);
        admitted.sequences().forEach(this::enqueue);
        return admitted.future();
    }

    @Override
    public List<ScoreResult> score(List<String> texts) {
        return awaitAll(texts.stream().map(this::submitScore).toList());
    }

    /** Every future's result in order; an interrupt cancels them all and throws, the interrupt status kept. */
    private static <T> List<T> awaitAll(List<CompletableFuture<T>> futures) {
        try {
            for (CompletableFuture<T> future : futures) {
                future.get();
            }
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(false));
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting: its " + futures.size()
                    + " requests were cancelled");
        } catch (ExecutionException e) {
            // the engine completes every future normally; join below rethrows whatever did not
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    @Override
    public CompletableFuture<OptionScores> submitOptions(String prompt, List<String> options) {
        return intake.options(prompt, options, sequence -> enqueue(sequence));
    }

    @Override
    public EngineMetrics metrics() {
        return counters.snapshot(incoming.size());
    }

    @Override
    public ModelConfig modelConfig() {
        return loaded.config();
    }

    @Override
    public Tokenizer tokenizer() {
        return loaded.requireTokenizer();
    }

    @Override
    public EngineConfig config() {
        return config;
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Sequence s; (s = incoming.poll()) != null; ) {
            s.work.fail("the engine was closed before this request started", s);
        }
        loaded.close();
        EngineMetrics metrics = counters.snapshot(0);
        LOG.info("Flood engine closed: model {}, {} requests completed ({} failed, {} cancelled), {} prompt and {}"
                + " generated tokens in {} steps, {} restarts", config.modelPath(), metrics.completedRequests(),
                metrics.failedRequests(), metrics.cancelledRequests(), metrics.promptTokens(),
                metrics.generatedTokens(),
                metrics.steps(), metrics.engineRestarts());
    }
}
