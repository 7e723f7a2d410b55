package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.DeviceLostException;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Handoff;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepOutputs;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.engine.pipeline.BackendFactory;
import dev.flood.testing.ForwardingBackend;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's fault-injection hook for tests: a {@link BackendFactory} whose CPU backends fail where a plan says,
 * counted in {@code beginStep} calls over every backend it made (each stage begins each step). Only tests reach
 * it, through {@link Engine}'s package-private opener.
 */
final class FaultyBackends implements BackendFactory {

    /** Where a step fails. */
    enum Fault {
        /** {@code beginStep} throws. */
        BEGIN_STEP,
        /** The step's first attention throws, on the stage's worker. */
        FORWARD,
        /** The step's first linear runs out of heap ({@link OutOfMemoryError}): the engine reopens smaller. */
        OUT_OF_MEMORY,
        /** The step's outputs (or, before the last stage, its hand-off) throw while being launched. */
        OUTPUTS,
        /** The step's outputs throw when the engine awaits them, on the engine thread. */
        AWAIT,
        /** {@code endStep} throws after the step's work. */
        END_STEP,
        /** {@code beginStep} throws, and the next backend opened (the engine's reopening) fails too. */
        BEGIN_STEP_THEN_OPEN,
        /** The step's first attention loses the device ({@link DeviceLostException}, as a sticky CUDA fault). */
        DEVICE_LOST
    }

    private final Map<Long, Fault> plan;
    private final AtomicLong steps = new AtomicLong();
    private final AtomicInteger injected = new AtomicInteger();
    private final AtomicInteger failingOpens = new AtomicInteger();
    private final List<EngineConfig> opened = new CopyOnWriteArrayList<>();
    private final Runnable onFault;
    private volatile long poisonedSeed = Long.MIN_VALUE;

    /** Fails the {@code beginStep} calls numbered in {@code plan} (from 1) as it says; {@code onFault} runs at each. */
    FaultyBackends(Map<Long, Fault> plan, Runnable onFault) {
        this.plan = new ConcurrentHashMap<>(plan);
        this.onFault = onFault;
    }

    FaultyBackends(Map<Long, Fault> plan) {
        this(plan, () -> { });
    }

    /** Every backend opened from now on fails to open, until {@link #healOpens}. */
    void failOpens() {
        failingOpens.set(Integer.MAX_VALUE);
    }

    void healOpens() {
        failingOpens.set(0);
    }

    /** Sample rows drawn with this seed come back with a row error, as NaN logits would (the request's own fault). */
    void poisonRowsOfSeed(long seed) {
        poisonedSeed = seed;
    }

    /** Faults thrown so far (a planned one may never fire: its step is not reached). */
    int injected() {
        return injected.get();
    }

    /** The configuration of each backend opened, in order. */
    List<EngineConfig> opened() {
        return List.copyOf(opened);
    }

    @Override
    public Backend open(EngineConfig config, int stage) {
        if (failingOpens.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new FloodException("injected: the backend would not open");
        }
        opened.add(config);
        return new Faulty(BackendFactory.STANDARD.open(config, stage));
    }

    private RuntimeException injectedFault(Fault fault, long step) {
        injected.incrementAndGet();
        onFault.run();
        if (fault == Fault.BEGIN_STEP_THEN_OPEN) {
            failingOpens.set(1);
        }
        if (fault == Fault.DEVICE_LOST) {
            return new DeviceLostException("injected " + fault + " at step call " + step);
        }
        return new FloodException("injected " + fault + " at step call " + step);
    }

    /** One stage's backend; its worker thread makes every call but {@link PendingOutputs#await}. */
    private final class Faulty extends ForwardingBackend {

        private Fault armed;   // this step's fault, not yet thrown
        private long step;

        Faulty(Backend inner) {
            super(inner);
        }

        private boolean fire(Fault... kinds) {
            return armed != null && List.of(kinds).contains(armed);
        }

        private RuntimeException thrown() {
            Fault fault = armed;
            armed = null;
            return injectedFault(fault, step);
        }

        @Override
        public void beginStep(ForwardBatch batch) {
            step = steps.incrementAndGet();
            armed = plan.remove(step);
            if (fire(Fault.BEGIN_STEP, Fault.BEGIN_STEP_THEN_OPEN)) {
                throw thrown();
            }
            super.beginStep(batch);
        }

        @Override
        public void linear(Tensor x, Weight weight, Weight bias, Tensor out) {
            if (fire(Fault.OUT_OF_MEMORY)) {
                thrown();
                throw new OutOfMemoryError("injected OUT_OF_MEMORY at step call " + step);
            }
            super.linear(x, weight, bias, out);
        }

        @Override
        public void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out) {
            if (fire(Fault.FORWARD, Fault.DEVICE_LOST)) {
                throw thrown();
            }
            super.attention(layer, qkv, shape, batch, out);
        }

        @Override
        public PendingOutputs launchOutputs(StepHead head, OutputSpec spec) {
            if (fire(Fault.OUTPUTS)) {
                throw thrown();
            }
            PendingOutputs pending = super.launchOutputs(head, spec);
            if (fire(Fault.AWAIT)) {
                RuntimeException fault = thrown();
                return () -> {
                    throw fault;
                };
            }
            long poisoned = poisonedSeed;
            return () -> poison(pending.await(), spec, poisoned);
        }

        @Override
        public Handoff handOff(List<Tensor> tensors) {
            if (fire(Fault.OUTPUTS)) {
                throw thrown();
            }
            return super.handOff(tensors);
        }

        @Override
        public void endStep() {
            super.endStep();
            if (fire(Fault.END_STEP)) {
                throw thrown();
            }
        }
    }

    /** The outputs with an error in each sample row drawn with {@code seed}. */
    private static StepOutputs poison(StepOutputs outputs, OutputSpec spec, long seed) {
        String[] errors = outputs.sampleErrors().clone();
        boolean any = false;
        for (int k = 0; k < errors.length; k++) {
            if (spec.draws().get(k).state().seed() == seed) {
                errors[k] = "injected: logits of sample row " + k + " are NaN";
                any = true;
            }
        }
        return any ? new StepOutputs(outputs.tokens(), outputs.tokenLogprobs(), outputs.scores(), errors,
                outputs.scoreErrors()) : outputs;
    }
}
