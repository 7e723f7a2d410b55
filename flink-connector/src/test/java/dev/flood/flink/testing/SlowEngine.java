package dev.flood.flink.testing;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationHandle;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.config.ModelConfig;
import dev.flood.flink.EngineFactory;
import dev.flood.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real engine whose generations are handed back late (a slow model, without sleeping), and which records what
 * the connector did with it in {@link Stats} under the factory's name. Prompts starting with {@link #SLOW} wait
 * {@code slowDelayMillis}; prompts starting with {@link #FLAKY} get an error result on their first submit.
 */
public final class SlowEngine implements FloodEngine {

    public static final String SLOW = "slow ";
    public static final String FLAKY = "flaky ";

    /** One thread completes all delayed results; it never runs model code. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slow-engine-timer");
        t.setDaemon(true);
        return t;
    });
    private static final Map<String, Stats> STATS = new ConcurrentHashMap<>();

    /** Opens a {@link SlowEngine}; a record, so equal factories share one engine as the registry expects. */
    public record Factory(String name, long delayMillis, long slowDelayMillis) implements EngineFactory {
        @Override
        public FloodEngine open(EngineConfig config) {
            stats(name).opens.incrementAndGet();
            return new SlowEngine(FloodEngine.open(config), this);
        }
    }

    /** What one factory's engines saw; read by tests after the job. */
    public static final class Stats {
        public final AtomicInteger opens = new AtomicInteger();
        public final AtomicInteger closes = new AtomicInteger();
        public final AtomicInteger inFlight = new AtomicInteger();
        public final AtomicInteger maxInFlight = new AtomicInteger();
        public final AtomicInteger completed = new AtomicInteger();
        /** Requests whose caller cancelled the late future; each cancels the real engine's request. */
        public final AtomicInteger cancelled = new AtomicInteger();
        public final Map<String, Integer> submitsByPrompt = new ConcurrentHashMap<>();
        public final List<String> completionOrder = Collections.synchronizedList(new ArrayList<>());

        public int submits() {
            return submitsByPrompt.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    public static Stats stats(String name) {
        return STATS.computeIfAbsent(name, n -> new Stats());
    }

    public static void reset(String name) {
        STATS.remove(name);
    }

    private final FloodEngine delegate;
    private final Factory factory;
    private final Stats stats;

    private SlowEngine(FloodEngine delegate, Factory factory) {
        this.delegate = delegate;
        this.factory = factory;
        this.stats = stats(factory.name());
    }

    @Override
    public CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener) {
        String prompt = String.valueOf(request.prompt());
        int attempt = stats.submitsByPrompt.merge(prompt, 1, Integer::sum);
        stats.maxInFlight.accumulateAndGet(stats.inFlight.incrementAndGet(), Math::max);
        long delay = prompt.startsWith(SLOW) ? factory.slowDelayMillis() : factory.delayMillis();
        CompletableFuture<GenerationResult> late = new CompletableFuture<>();
        CompletableFuture<GenerationResult> real = delegate.submit(request, listener);
        late.whenComplete((result, error) -> {
            if (late.isCancelled()) {
                stats.cancelled.incrementAndGet();
                real.cancel(false);
            }
        });
        real.whenComplete((result, error) -> TIMER.schedule(() -> {
            // leave the in-flight count before the connector sees the result and frees its slot
            stats.inFlight.decrementAndGet();
            stats.completed.incrementAndGet();
            stats.completionOrder.add(prompt);
            if (error != null) {
                late.completeExceptionally(error);
            } else if (prompt.startsWith(FLAKY) && attempt == 1) {
                late.complete(GenerationResult.failed("injected failure of a first attempt", 0));
            } else {
                late.complete(result);
            }
        }, delay, TimeUnit.MILLISECONDS));
        return late;
    }

    /** As {@link #submit}; the handle cancels the late future only (no test here cancels). */
    @Override
    public GenerationHandle stream(GenerateRequest request, GenerationListener listener) {
        CompletableFuture<GenerationResult> result = submit(request, listener);
        return new GenerationHandle(result, () -> result.cancel(false));
    }

    @Override
    public List<GenerationResult> generate(List<GenerateRequest> requests) {
        return requests.stream().map(r -> submit(r, GenerationListener.NONE)).toList()
                .stream().map(CompletableFuture::join).toList();
    }

    @Override
    public CompletableFuture<ScoreResult> submitScore(ScoreRequest request) {
        return delegate.submitScore(request);
    }

    @Override
    public CompletableFuture<OptionScores> submitOptions(String prompt, List<String> options) {
        return delegate.submitOptions(prompt, options);
    }

    @Override
    public EngineMetrics metrics() {
        return delegate.metrics();
    }

    @Override
    public ModelConfig modelConfig() {
        return delegate.modelConfig();
    }

    @Override
    public EngineConfig config() {
        return delegate.config();
    }

    @Override
    public Tokenizer tokenizer() {
        return delegate.tokenizer();
    }

    @Override
    public void close() {
        stats.closes.incrementAndGet();
        delegate.close();
    }
}
