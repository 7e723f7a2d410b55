package dev.flood.backend.profile;

import dev.flood.api.EngineConfig;
import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ExpertRouting;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Handoff;
import dev.flood.backend.HeadSpan;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepLimits;
import dev.flood.backend.StepTime;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.SamplingState;
import dev.flood.weights.DType;
import dev.flood.weights.WeightSource;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A backend that times another one op by op: a {@link OpClock} mark before and after each op of a step, each op
 * filed under its {@link OpClass} with its {@link OpCost}. A step runs from {@link #beginStep} to
 * {@link #finishStep()} (after {@link #endStep} and the outputs' await, as the engine runs a step), which waits for
 * the step and returns its {@link StepBreakdown}. Loading, allocation, the cache and the step end are passed through
 * untimed. For one step at a time: profiling several steps in flight would interleave their marks.
 *
 * <p>With {@link Detail#STEP} only the step's first and last marks are taken: the step's time without the
 * profiler's own marks, which cost the host a little per op (the breakdown's gaps include that cost).
 * One thread drives it, as it drives any backend.
 */
public final class ProfilingBackend implements Backend {

    /** How much to time. */
    public enum Detail {
        /** Each op: the breakdown by class. */
        OPS,
        /** The step only: its time undisturbed. */
        STEP
    }

    private final Backend delegate;
    private final OpClock clock;
    private final Ceilings ceilings;
    private Detail detail = Detail.OPS;
    private StepBreakdown.Builder step;
    /** The product {@link #linearForActivation} last wrote in bf16 (its weight bf16), which siluMul then reads. */
    private Tensor bf16Product;
    private int stepStart;

    public ProfilingBackend(Backend delegate, OpClock clock, Ceilings ceilings) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ceilings = Objects.requireNonNull(ceilings, "ceilings");
    }

    /** How much the next steps time; between steps only. */
    public void detail(Detail value) {
        if (step != null) {
            throw new IllegalStateException("a step is being profiled");
        }
        detail = Objects.requireNonNull(value, "detail");
    }

    /** Waits for the step begun by the last {@link #beginStep} and says where its time went. */
    public StepBreakdown finishStep() {
        if (step == null) {
            throw new IllegalStateException("no step was begun");
        }
        StepBreakdown breakdown = step.build(clock, stepStart, clock.mark());
        step = null;
        clock.reset();
        return breakdown;
    }

    /** Runs {@code op} between two marks and files it; without a step or in {@link Detail#STEP}, just runs it. */
    private <T> T timed(OpClass opClass, OpCost cost, Supplier<T> op) {
        if (step == null || detail == Detail.STEP) {
            return op.get();
        }
        int start = clock.mark();
        T result = op.get();
        step.add(opClass, cost, start, clock.mark());
        return result;
    }

    private void timed(OpClass opClass, OpCost cost, Runnable op) {
        timed(opClass, cost, () -> {
            op.run();
            return null;
        });
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        return delegate.loadMatrix(source, names, rowsPerPart, cols);
    }

    @Override
    public Weight loadLinear(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        return delegate.loadLinear(source, names, rowsPerPart, cols);
    }

    @Override
    public StepLimits automaticStepLimits(ModelConfig model) {
        return delegate.automaticStepLimits(model);
    }

    @Override
    public Weight loadVector(WeightSource source, List<String> names, List<Integer> lengths) {
        return delegate.loadVector(source, names, lengths);
    }

    @Override
    public void prepareSteps(ModelConfig model, EngineConfig config) {
        delegate.prepareSteps(model, config);
    }

    @Override
    public int suggestCacheTokens(int cacheLayers, ModelConfig model, EngineConfig config) {
        return delegate.suggestCacheTokens(cacheLayers, model, config);
    }

    @Override
    public void allocateCache(int numLayers, int capacityTokens, int kvSize) {
        delegate.allocateCache(numLayers, capacityTokens, kvSize);
    }

    /** Starts a step: its first mark, then the delegate's step start (metadata upload) timed as a copy. */
    @Override
    public void beginStep(ForwardBatch batch) {
        if (step != null) {
            throw new IllegalStateException("the previous step was not finished (finishStep)");
        }
        clock.reset();
        stepStart = clock.mark();
        step = new StepBreakdown.Builder(ceilings);
        timed(OpClass.COPY, OpCosts.stepMetadata(batch), () -> delegate.beginStep(batch));
    }

    /** Passed through untimed: it only marks the step's end for the delegate's own clock and buffers. */
    @Override
    public void endStep() {
        delegate.endStep();
    }

    @Override
    public List<StepTime> drainStepTimes() {
        return delegate.drainStepTimes();
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return delegate.allocate(rows, cols);
    }

    @Override
    public void embed(Weight table, ForwardBatch batch, Tensor out) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.embed(out), () -> delegate.embed(table, batch, out));
    }

    @Override
    public void rmsNorm(Tensor x, Weight weight, float eps, Tensor out) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.rmsNorm(x), () -> delegate.rmsNorm(x, weight, eps, out));
    }

    @Override
    public void addRmsNorm(Tensor residual, Tensor x, Weight weight, float eps, Tensor out) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.addRmsNorm(residual),
                () -> delegate.addRmsNorm(residual, x, weight, eps, out));
    }

    @Override
    public void linearAdd(Tensor x, Weight weight, Weight bias, Tensor scratch, Tensor residual) {
        timed(OpClass.GEMM, OpCosts.linearAdd(x, weight, bias),
                () -> delegate.linearAdd(x, weight, bias, scratch, residual));
    }

    @Override
    public void linear(Tensor x, Weight weight, Weight bias, Tensor out) {
        timed(OpClass.GEMM, OpCosts.linear(x, weight, bias), () -> delegate.linear(x, weight, bias, out));
    }

    @Override
    public void linearForActivation(Tensor x, Weight weight, Tensor out) {
        bf16Product = weight.storageType() == DType.BF16 ? out : null;
        timed(OpClass.GEMM, OpCosts.linearForActivation(x, weight), () -> delegate.linearForActivation(x, weight, out));
    }

    @Override
    public void headRmsNorm(Tensor x, HeadSpan heads, Weight weight, float eps) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.headRmsNorm(x, heads.numHeads(), heads.headDim()),
                () -> delegate.headRmsNorm(x, heads, weight, eps));
    }

    @Override
    public void rotary(Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.rotary(qkv, shape), () -> delegate.rotary(qkv, shape, rotary, batch));
    }

    @Override
    public void writeCache(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.writeCache(qkv, shape),
                () -> delegate.writeCache(layer, qkv, shape, batch));
    }

    @Override
    public void rotaryWriteCache(int layer, Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.rotaryWriteCache(qkv, shape),
                () -> delegate.rotaryWriteCache(layer, qkv, shape, rotary, batch));
    }

    @Override
    public void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out) {
        timed(OpClass.ATTENTION, OpCosts.attention(batch, shape),
                () -> delegate.attention(layer, qkv, shape, batch, out));
    }

    @Override
    public void siluMul(Tensor gateUp, Tensor out) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.siluMul(out, gateUp == bf16Product),
                () -> delegate.siluMul(gateUp, out));
    }

    @Override
    public ExpertRouting routeExperts(Tensor routerLogits, RouterSpec spec) {
        return timed(OpClass.NORM_ELEMENTWISE, OpCosts.routeExperts(routerLogits, spec),
                () -> delegate.routeExperts(routerLogits, spec));
    }

    @Override
    public void expertLinear(Tensor x, ExpertRouting routing, Weight experts, Tensor out) {
        timed(OpClass.EXPERT_GEMM, OpCosts.expertLinear(x, routing, experts),
                () -> delegate.expertLinear(x, routing, experts, out));
    }

    @Override
    public void combineExperts(Tensor expertOut, ExpertRouting routing, Tensor out) {
        timed(OpClass.NORM_ELEMENTWISE, OpCosts.combineExperts(expertOut, out),
                () -> delegate.combineExperts(expertOut, routing, out));
    }

    @Override
    public Tensor gatherRows(Tensor x, int[] rows) {
        return timed(OpClass.COPY, OpCosts.gatherRows(x, rows), () -> delegate.gatherRows(x, rows));
    }

    @Override
    public int[] sample(Tensor logits, List<SamplingState> states) {
        return timed(OpClass.SAMPLING, OpCosts.logitsRead(logits), () -> delegate.sample(logits, states));
    }

    @Override
    public List<RowLogprobs> logprobs(Tensor logits, int[] chosenTokens, int topN) {
        return timed(OpClass.SAMPLING, OpCosts.logitsRead(logits), () -> delegate.logprobs(logits, chosenTokens, topN));
    }

    /** Timed as a GEMM: the lm_head over the scored rows, in chunks. */
    @Override
    public List<RowLogprobs> lmHeadLogprobs(Tensor hidden, Weight lmHead, ScoredRows rows) {
        return timed(OpClass.GEMM, OpCosts.lmHeadLogprobs(rows.size(), lmHead),
                () -> delegate.lmHeadLogprobs(hidden, lmHead, rows));
    }

    /**
     * Timed as sampling: the launch of the step's draws and scores (their results are read after the step), with
     * the scored rows' lm_head.
     */
    @Override
    public PendingOutputs launchOutputs(StepHead head, OutputSpec spec) {
        return timed(OpClass.SAMPLING, OpCosts.outputs(head, spec), () -> delegate.launchOutputs(head, spec));
    }

    @Override
    public Handoff handOff(List<Tensor> tensors) {
        return timed(OpClass.COPY, OpCosts.copies(tensors), () -> delegate.handOff(tensors));
    }

    @Override
    public List<Tensor> receive(Handoff handoff) {
        return timed(OpClass.COPY, OpCosts.copies(handoff.tensors()), () -> delegate.receive(handoff));
    }

    @Override
    public float[] toHost(Tensor x) {
        return timed(OpClass.COPY, OpCosts.toHost(x), () -> delegate.toHost(x));
    }

    @Override
    public long peakDeviceMemoryBytes() {
        return delegate.peakDeviceMemoryBytes();
    }

    /** Closes the clock and the delegate. */
    @Override
    public void close() {
        try {
            clock.close();
        } finally {
            delegate.close();
        }
    }
}
