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
import dev.flood.backend.Tensor;
import dev.flood.cache.SegmentAllocator;
import dev.flood.config.ModelConfig;
import dev.flood.model.CausalLM;
import dev.flood.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: one thread runs {@link #loop()} (schedule, forward, post-process) over a batch that every caller
 * shares; callers on any thread turn their input into {@link Sequence}s ({@link Intake}) and wait on futures.
 */
public final class Engine implements FloodEngine {

    /** One line when an engine opens and one when it closes (the CLI, Spark executors and Flink TaskManagers log them). */
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    private final EngineConfig config;
    private final LoadedModel loaded;
    private final Scheduler scheduler;
    private final Intake intake;
    private final EngineContext context;
    private final Counters counters;
    private final BlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    private Engine(EngineConfig config, LoadedModel loaded) {
        this.config = config;
        this.loaded = loaded;
        SegmentAllocator allocator = loaded.allocator();
        this.scheduler = new Scheduler(allocator, config.reservation(), config.maxBatchTokens(), config.maxRunningRequests());
        this.context = loaded.context();
        this.counters = new Counters(allocator.stats());
        this.intake = new Intake(config, loaded, counters);
        this.thread = new Thread(this::loop, "flood-engine");
        this.thread.setDaemon(true);
    }

    /** Loads the model named by the config and starts the engine thread. */
    public static Engine open(EngineConfig config) {
        Engine engine = new Engine(config, LoadedModel.load(config));
        engine.thread.start();
        LOG.info("Flood engine opened: model {} ({}), backend {}, cache {} tokens, step budget {} tokens, at most {} "
                + "running", config.modelPath(), engine.loaded.config().architecture(), config.backend().equals("cuda")
                ? "cuda on devices " + config.devices() : "cpu with " + config.threads() + " threads",
                engine.metrics().cache().capacityTokens(), config.maxBatchTokens(), config.maxRunningRequests());
        return engine;
    }

    private void loop() {
        while (!closed) {
            takeIncoming();
            StepPlan plan = scheduler.schedule();
            List<Runnable> completions = plan.isEmpty() ? List.of() : step(plan);
            counters.publish(scheduler.numRunning(), scheduler.numWaiting(), scheduler.preemptions(),
                    loaded.backend().peakDeviceMemoryBytes(), loaded.allocator().stats());
            completions.forEach(Runnable::run);
        }
        for (Sequence sequence : scheduler.drainAll()) {
            sequence.work.fail("the engine was closed before this request finished", sequence);
            counters.completed(true);
        }
    }

    /**
     * Runs one planned step; returns the completions of the requests it finished, to be announced once the
     * engine's metrics include this step.
     */
    private List<Runnable> step(StepPlan plan) {
        long start = System.nanoTime();
        List<Runnable> completions = new ArrayList<>();
        int promptTokens = plan.scheduled().stream().mapToInt(s -> Math.max(0,
                Math.min(s.sequence().numComputed() + s.numTokens(), s.sequence().promptLength) - s.sequence().numComputed())).sum();
        int generated;
        try {
            generated = postprocess(plan, loaded.model().forward(plan.batch()), completions);
        } catch (RuntimeException e) {
            for (StepPlan.Scheduled s : plan.scheduled()) {
                finish(s.sequence(), "step failed: " + e, completions);
            }
            return completions;
        }
        counters.step(plan.scheduled().size(), promptTokens, generated, System.nanoTime() - start);
        return completions;
    }

    /** Hands each sequence what its logit rows say; returns the number of tokens sampled. */
    private int postprocess(StepPlan plan, Tensor logits, List<Runnable> completions) {
        StepResults results = StepResults.of(plan, logits, loaded.backend());
        int sampled = 0;
        for (int i = 0; i < plan.scheduled().size(); i++) {
            Sequence sequence = plan.scheduled().get(i).sequence();
            int first = sequence.numComputed();
            sequence.advance(plan.scheduled().get(i).numTokens());
            try {
                if (sequence.work instanceof Scoring scoring) {
                    scoring.accept(first, results.scores(i));
                    if (scoring.isDone(sequence)) {
                        finish(sequence, null, completions);
                        completions.add(() -> scoring.complete(sequence));
                    }
                } else if (sequence.work instanceof Generation generation && results.token(i) >= 0) {
                    FinishReason finish = generation.accept(sequence, results.token(i), results.logprobs(i), context);
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

    /** Frees the sequence's cache now; its failure, if {@code error} is given, is announced with the completions. */
    private void finish(Sequence sequence, String error, List<Runnable> completions) {
        if (error != null) {
            completions.add(() -> sequence.work.fail(error, sequence));
        }
        scheduler.finish(sequence);
        counters.completed(error != null);
    }

    private void takeIncoming() {
        try {
            if (!scheduler.hasWork()) {
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
        EngineMetrics done = metrics();
        LOG.info("Flood engine closed: model {}, {} requests ({} failed), {} generated tokens in {} steps",
                config.modelPath(), done.completedRequests(), done.failedRequests(), done.generatedTokens(), done.steps());
    }
}
