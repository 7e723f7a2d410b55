package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreResult;
import dev.flood.backend.StepOutputs;
import dev.flood.cache.SegmentAllocator;
import dev.flood.config.ModelConfig;
import dev.flood.engine.pipeline.Collected;
import dev.flood.engine.pipeline.Pipeline;
import dev.flood.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The engine: one thread runs {@link #loop()} (schedule and launch, collect and post-process) over a batch that
 * every caller shares; callers on any thread turn their input into {@link Sequence}s ({@link Intake}) and wait on
 * futures. Steps run through a {@link Pipeline} of stages, several in flight at once: while the devices run
 * one step, this thread launches the next and post-processes the one before.
 */
public final class Engine implements FloodEngine {

    private final EngineConfig config;
    private final LoadedModel loaded;
    private final Pipeline<StepPlan> pipeline;
    private final Scheduler scheduler;
    private final Intake intake;
    private final EngineContext context;
    private final Counters counters;
    private final BlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    private final Thread thread;
    private long nextStepId;
    private volatile boolean closed;

    private Engine(EngineConfig config, LoadedModel loaded) {
        this.config = config;
        this.loaded = loaded;
        this.pipeline = loaded.pipeline();
        SegmentAllocator allocator = loaded.allocator();
        this.scheduler = new Scheduler(allocator, config.reservation(), config.maxBatchTokens(),
                config.maxRunningRequests(), pipeline.numStages() == 1 ? Scheduler.InFlight.CONSECUTIVE_STEPS
                        : Scheduler.InFlight.ONE_STEP_PER_REQUEST);
        this.context = loaded.context();
        this.counters = new Counters(allocator.stats(), pipeline.metrics());
        this.intake = new Intake(config, loaded, counters);
        this.thread = new Thread(this::loop, "flood-engine");
        this.thread.setDaemon(true);
    }

    /** Loads the model named by the config and starts the engine thread. */
    public static Engine open(EngineConfig config) {
        Engine engine = new Engine(config, LoadedModel.load(config));
        engine.thread.start();
        return engine;
    }

    private void loop() {
        while (!closed) {
            takeIncoming();
            while (pipeline.hasRoom() && launchNext()) {
                continue;
            }
            List<Runnable> completions = pipeline.isEmpty() ? List.of() : collectOldest();
            publish();
            completions.forEach(Runnable::run);
        }
        while (!pipeline.isEmpty()) {
            List<Runnable> completions = collectOldest();
            publish();
            completions.forEach(Runnable::run);
        }
        for (Sequence sequence : scheduler.drainAll()) {
            sequence.work.fail("the engine was closed before this request finished", sequence);
            counters.completed(true);
        }
        publish();
    }

    /** Plans the next step and launches it; false when nothing can run now. */
    private boolean launchNext() {
        StepPlan plan = scheduler.schedule(nextStepId);
        if (plan.isEmpty()) {
            return false;
        }
        nextStepId++;
        plan.markLaunched();
        pipeline.launch(plan);
        return true;
    }

    /**
     * Waits for the oldest step in flight and hands each of its requests what it computed; returns the
     * completions of the requests it finished, to be announced once the engine's metrics include this step.
     */
    private List<Runnable> collectOldest() {
        Collected<StepPlan> collected = pipeline.collect();
        StepPlan plan = collected.microBatch();
        List<Runnable> completions = new ArrayList<>();
        if (collected.failure() != null) {
            for (StepPlan.Entry entry : plan.entries()) {
                if (!entry.sequence().isDone()) {
                    finish(entry.sequence(), "step failed: " + collected.failure(), completions);
                }
            }
            return completions;
        }
        int generated = postprocess(plan, collected.outputs(), completions);
        counters.step(plan.entries().size(), plan.promptTokens(), generated, collected.launchedNanos());
        return completions;
    }

    /**
     * Hands each request what its rows gave; returns the number of tokens taken. Rows of requests that finished
     * or failed since the step was launched are discarded; a row whose logits could not be used fails its request
     * alone.
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

    /** Frees the sequence's cache now; its failure, if {@code error} is given, is announced with the completions. */
    private void finish(Sequence sequence, String error, List<Runnable> completions) {
        if (error != null) {
            completions.add(() -> sequence.work.fail(error, sequence));
        }
        scheduler.finish(sequence);
        counters.completed(error != null);
    }

    private void publish() {
        counters.publish(scheduler.numRunning(), scheduler.numWaiting(), scheduler.preemptions(),
                pipeline.peakDeviceMemoryBytes(), loaded.allocator().stats(), pipeline.metrics());
    }

    /** Moves queued requests to the scheduler; waits briefly for one when there is nothing at all to do. */
    private void takeIncoming() {
        try {
            if (!scheduler.hasWork() && pipeline.isEmpty()) {
                pipeline.noteNoWork();
                Sequence first = incoming.poll(100, TimeUnit.MILLISECONDS);
                if (first != null) {
                    scheduler.add(first);
                }
            }
            for (Sequence s; (s = incoming.poll()) != null; ) {
                scheduler.add(s);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    private void enqueue(Sequence sequence) {
        incoming.add(sequence);
        // close() drains the queue after the thread stops; whichever of the two removes the sequence fails it
        if (closed && incoming.remove(sequence)) {
            sequence.work.fail("the engine is closed", sequence);
        }
    }

    @Override
    public CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener) {
        Intake.Admitted<GenerationResult> admitted = intake.generation(request, listener);
        admitted.sequence().ifPresent(this::enqueue);
        return admitted.future();
    }

    @Override
    public List<GenerationResult> generate(List<GenerateRequest> requests) {
        List<CompletableFuture<GenerationResult>> futures = requests.stream()
                .map(r -> submit(r, GenerationListener.NONE)).toList();
        return futures.stream().map(CompletableFuture::join).toList();
    }

    @Override
    public CompletableFuture<ScoreResult> submitScore(String text) {
        Intake.Admitted<ScoreResult> admitted = intake.scoring(text);
        admitted.sequence().ifPresent(this::enqueue);
        return admitted.future();
    }

    @Override
    public List<ScoreResult> score(List<String> texts) {
        List<CompletableFuture<ScoreResult>> futures = texts.stream().map(this::submitScore).toList();
        return futures.stream().map(CompletableFuture::join).toList();
    }

    @Override
    public CompletableFuture<OptionScores> submitOptions(String prompt, List<String> options) {
        return intake.options(prompt, options, sequence -> enqueue(sequence));
    }

    @Override
    public EngineMetrics metrics() {
        return counters.snapshot();
    }

    @Override
    public ModelConfig modelConfig() {
        return loaded.config();
    }

    @Override
    public Tokenizer tokenizer() {
        return loaded.requireTokenizer();
    }

    /** The configuration this engine was opened with. */
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
    }
}
