package dev.flood.flink.testing;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FinishReason;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.flink.EngineFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real engine that tells a test what became of each generation the connector submitted, and at which engine
 * step: the engine hands every request's final result (a cancelled one's included) to its listener on the engine
 * thread once its metrics include the step, so {@link Ended#steps} and {@link Ended#runningRequests} are the
 * engine's counts as the request left it. Recorded in a {@link Watch}, by factory name.
 *
 * <p>The connector gets a future of this class's own, whose cancel is passed on to the engine's request before
 * {@link Watch#cancelledByCaller} counts it: once the count is seen, the engine has the cancel queued.
 */
public final class WatchedEngine extends InterceptingEngine {

    /** Opens a {@link WatchedEngine}; a record, so equal factories share one engine as the registry expects. */
    public record Factory(String name) implements EngineFactory {
        @Override
        public FloodEngine open(EngineConfig config) {
            return new WatchedEngine(FloodEngine.open(config), watch(name));
        }
    }

    /** A request's end as the engine reported it. */
    public record Ended(String prompt, FinishReason finishReason, int completionTokens, long steps,
                        int runningRequests) {
    }

    /** What one factory's engines saw; read by tests from any thread. */
    public static final class Watch {
        public final AtomicInteger submitted = new AtomicInteger();
        public final AtomicInteger cancelledByCaller = new AtomicInteger();
        public final List<Ended> ended = Collections.synchronizedList(new ArrayList<>());

        /** Requests that ended with {@code reason}, in the order they ended. */
        public List<Ended> ended(FinishReason reason) {
            synchronized (ended) {
                return ended.stream().filter(e -> e.finishReason() == reason).toList();
            }
        }
    }

    private static final Map<String, Watch> WATCHES = new ConcurrentHashMap<>();

    public static Watch watch(String name) {
        return WATCHES.computeIfAbsent(name, n -> new Watch());
    }

    private final Watch watch;

    private WatchedEngine(FloodEngine delegate, Watch watch) {
        super(delegate);
        this.watch = watch;
    }

    @Override
    public CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener) {
        String prompt = String.valueOf(request.prompt());
        GenerationListener recording = new GenerationListener() {
            @Override
            public void onTokens(String textDelta, List<Integer> newTokenIds) {
                listener.onTokens(textDelta, newTokenIds);
            }

            @Override
            public void onComplete(GenerationResult result) {
                EngineMetrics metrics = delegate.metrics();
                watch.ended.add(new Ended(prompt, result.finishReason(), result.completionTokens(), metrics.steps(),
                        metrics.runningRequests()));
                listener.onComplete(result);
            }
        };
        watch.submitted.incrementAndGet();
        CompletableFuture<GenerationResult> real = delegate.submit(request, recording);
        CompletableFuture<GenerationResult> handedOut = new CompletableFuture<>();
        handedOut.whenComplete((result, error) -> {
            if (handedOut.isCancelled()) {
                real.cancel(false);
                watch.cancelledByCaller.incrementAndGet();
            }
        });
        real.whenComplete((result, error) -> {
            if (error != null) {
                handedOut.completeExceptionally(error);
            } else {
                handedOut.complete(result);
            }
        });
        return handedOut;
    }








}
