package dev.flood.engine.pipeline;

import dev.flood.api.EngineConfig;
import dev.flood.api.StageMetrics;
import dev.flood.backend.StepOutputs;
import dev.flood.config.ModelConfig;
import dev.flood.weights.WeightSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * The model split into stages ({@link Stage}: a backend, a layer range, a worker thread each) and the micro-batches
 * in flight through them. The engine launches micro-batches while there is room and collects the oldest, first
 * in first out; up to {@link #depth()} are in flight, so every stage has work while the host prepares the next
 * step and post-processes the last one. With depth 1 the engine runs one step at a time.
 *
 * <p>Activations go from stage to stage through the backends ({@code handOff} / {@code receive}); each stage holds
 * the KV cache of its own layers, all with the same number of slots, so one segment allocator on the host hands
 * out slots valid on every stage.
 *
 * <p>Threads: one engine thread calls every method here; the stages' workers run the steps.
 */
public final class Pipeline<P extends MicroBatch> implements AutoCloseable {

    private final List<Stage> stages = new ArrayList<>();
    private final List<String> devices;
    private final EngineConfig config;
    private final int depth;
    private final int cacheTokens;
    private final Deque<InFlight<P>> inFlight = new ArrayDeque<>();
    private boolean noWorkSinceLaunch;
    private boolean closed;

    Pipeline(List<PipelineLoader.LoadedStage> loaded, EngineConfig config, int cacheTokens) {
        this.config = config;
        this.depth = config.maxStepsInFlight();
        this.cacheTokens = cacheTokens;
        this.devices = loaded.stream().map(PipelineLoader.LoadedStage::device).toList();
        // built last to first: each stage hands on to the one after it, the last to the engine
        Stage next = null;
        for (int k = loaded.size() - 1; k >= 0; k--) {
            PipelineLoader.LoadedStage stage = loaded.get(k);
            Stage downstream = next;
            Stage built = new Stage(k, stage.backend(), stage.slice(), new StageMeter(k, stage.device(),
                    stage.slice().layers().first(), stage.slice().layers().end()),
                    downstream == null ? Pipeline::complete : downstream::submit);
            stages.add(0, built);
            next = built;
        }
    }

    /**
     * Loads {@code model} as the stages {@code config} asks for, sizes one KV cache for all of them and starts
     * their workers. Fails with a clear error (and frees what was loaded) when a stage cannot be set up.
     */
    public static <P extends MicroBatch> Pipeline<P> open(EngineConfig config, ModelConfig model, WeightSource weights) {
        return open(config, model, weights, BackendFactory.STANDARD);
    }

    /** As {@link #open(EngineConfig, ModelConfig, WeightSource)} with each stage's backend from {@code backends}. */
    public static <P extends MicroBatch> Pipeline<P> open(EngineConfig config, ModelConfig model, WeightSource weights,
                                                          BackendFactory backends) {
        return PipelineLoader.open(config, model, weights, backends);
    }

    private static void complete(Stage.Transit transit) {
        if (transit.failure() != null) {
            transit.flight().outputs().completeExceptionally(transit.failure());
        } else {
            transit.flight().outputs().complete(transit.outputs());
        }
    }

    public int numStages() {
        return stages.size();
    }

    /** The configuration the stages were loaded with, its automatic step limits resolved. */
    public EngineConfig config() {
        return config;
    }

    /** The most micro-batches in flight at once. */
    public int depth() {
        return depth;
    }

    /** Token slots of the KV cache, the same on every stage. */
    public int cacheTokens() {
        return cacheTokens;
    }

    public boolean hasRoom() {
        return inFlight.size() < depth;
    }

    public boolean isEmpty() {
        return inFlight.isEmpty();
    }

    /** Notes that the engine has no request at all: the idle time until the next launch is not the pipeline's. */
    public void noteNoWork() {
        noWorkSinceLaunch = true;
    }

    /** Starts a micro-batch through the stages, behind those in flight. Needs {@link #hasRoom()}. */
    public void launch(P microBatch) {
        if (!hasRoom()) {
            throw new IllegalStateException("the pipeline already has " + depth + " micro-batches in flight");
        }
        InFlight<P> flight = new InFlight<>(microBatch, !noWorkSinceLaunch, System.nanoTime());
        noWorkSinceLaunch = false;
        inFlight.addLast(flight);
        stages.get(0).submit(new Stage.Transit(flight, null, null, null));
    }

    /** Waits for the oldest micro-batch in flight and returns its outputs, or the failure of a stage. */
    public Collected<P> collect() {
        InFlight<P> flight = inFlight.pollFirst();
        if (flight == null) {
            throw new IllegalStateException("no micro-batch is in flight");
        }
        try {
            StepOutputs outputs = flight.outputs().join().await();
            return new Collected<>(flight.microBatch(), outputs, null, flight.launchedNanos());
        } catch (CompletionException e) {
            return new Collected<>(flight.microBatch(), null, e.getCause(), flight.launchedNanos());
        } catch (RuntimeException | Error e) {
            return new Collected<>(flight.microBatch(), null, e, flight.launchedNanos());
        }
    }

    /** Each stage's step and idle times. */
    public List<StageMetrics> metrics() {
        return stages.stream().map(s -> s.meter().snapshot()).toList();
    }

    /** The most device memory in use so far, summed over the devices (stages sharing one count it once). */
    public long peakDeviceMemoryBytes() {
        Map<String, Long> byDevice = new HashMap<>();
        for (int k = 0; k < stages.size(); k++) {
            byDevice.merge(devices.get(k), stages.get(k).backend().peakDeviceMemoryBytes(), Math::max);
        }
        return byDevice.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Stops the workers (after the micro-batches they hold; the engine collects those first) and frees every
     * stage's backend. Each backend is closed even when another fails; the first failure is rethrown. Closing
     * again does nothing (an engine that could not reopen its pipeline after a fault closes it once more).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (Stage stage : stages) {
            try {
                stage.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Stage stage : stages) {
            try {
                stage.backend().close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
