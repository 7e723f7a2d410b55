package dev.flood.engine.pipeline;

import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Handoff;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.StepOutputs;
import dev.flood.backend.Tensor;
import dev.flood.model.Activations;
import dev.flood.model.ModelSlice;
import dev.flood.sampling.RowLogprobs;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * One pipeline stage: a backend of its own, the model slice it runs, and one worker thread that runs the
 * micro-batches in the order they arrive. That order is the engine's launch order on every stage, so each step's
 * cache writes on a stage come before the next step's reads there, and a step can read tokens the step before it
 * drew on the same backend.
 *
 * <p>Threads: the worker makes every call on the backend, from {@code beginStep} to {@code endStep} (every
 * kernel launch and GEMM); it never waits for a step's results, so it starts launching the next step while the
 * device still runs this one. It hands each step on (activations to the next stage, or the pending outputs to
 * the engine) and takes the next. The engine thread only waits for and reads a step's outputs
 * ({@link PendingOutputs#await}), and closes the backend once the worker has stopped.
 */
final class Stage {

    private static final StepOutputs NO_OUTPUTS = new StepOutputs(new int[0], new RowLogprobs[0], new double[0]);

    /** A micro-batch between stages: the activations it brings, its pending outputs, or a failure on the way. */
    record Transit(InFlight<?> flight, Handoff handoff, PendingOutputs outputs, Throwable failure) {

        Transit failed(Throwable e) {
            return new Transit(flight, null, null, e);
        }
    }

    private static final Transit STOP = new Transit(null, null, null, null);

    private final Backend backend;
    private final ModelSlice slice;
    private final StageMeter meter;
    private final BlockingQueue<Transit> inbox = new LinkedBlockingQueue<>();
    private final Consumer<Transit> downstream;
    private final Thread worker;

    /** Starts the worker; what it finishes goes to {@code downstream} (the next stage, or the engine). */
    Stage(int index, Backend backend, ModelSlice slice, StageMeter meter, Consumer<Transit> downstream) {
        this.backend = backend;
        this.slice = slice;
        this.meter = meter;
        this.downstream = downstream;
        this.worker = new Thread(this::work, "flood-stage-" + index);
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Queues a micro-batch behind those already queued. */
    void submit(Transit transit) {
        inbox.add(transit);
    }

    Backend backend() {
        return backend;
    }

    StageMeter meter() {
        return meter;
    }

    private void work() {
        try {
            while (true) {
                Transit transit = inbox.take();
                if (transit == STOP) {
                    return;
                }
                downstream.accept(transit.failure() != null ? transit : run(transit));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs this stage's part of one step; a failure is handed on, to fail the step's requests only. */
    private Transit run(Transit in) {
        ForwardBatch batch = in.flight().microBatch().batch();
        try {
            backend.beginStep(batch);
        } catch (RuntimeException | Error e) {
            return in.failed(e);
        }
        meter.begun(in.flight().gapCounts());
        Transit out;
        try {
            Activations input = null;
            if (in.handoff() != null) {
                List<Tensor> received = backend.receive(in.handoff());
                input = new Activations(received.get(0), received.get(1));
            }
            Activations output = slice.forward(batch, input);
            if (slice.isLast()) {
                out = new Transit(in.flight(), null, launchOutputs(in.flight().microBatch(), output), null);
            } else {
                out = new Transit(in.flight(), backend.handOff(List.of(output.residual(), output.normed())), null, null);
            }
        } catch (RuntimeException | Error e) {
            out = in.failed(e);
        }
        try {
            backend.endStep();
            meter.record(backend.drainStepTimes());
        } catch (RuntimeException e) {
            out = out.failure() == null ? in.failed(e) : out;
        }
        return out;
    }

    /** The step's draws from its logits and its scores from its hidden states, launched on the last stage. */
    private PendingOutputs launchOutputs(MicroBatch microBatch, Activations output) {
        if (microBatch.outputs().isEmpty()) {
            return PendingOutputs.completed(NO_OUTPUTS);
        }
        return backend.launchOutputs(slice.head(microBatch.batch(), output), microBatch.outputs());
    }

    /** Stops the worker after what is queued; returns once it has stopped. */
    void stop() throws InterruptedException {
        inbox.add(STOP);
        worker.join();
    }
}
