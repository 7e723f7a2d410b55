package dev.flood.testing;

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
import dev.flood.weights.WeightSource;
import java.util.List;

/** A backend that hands every call to another; tests override the calls where they inject faults. */
public abstract class ForwardingBackend implements Backend {

    protected final Backend inner;

    protected ForwardingBackend(Backend inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        return inner.loadMatrix(source, names, rowsPerPart, cols);
    }

    @Override
    public Weight loadLinear(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        return inner.loadLinear(source, names, rowsPerPart, cols);
    }

    @Override
    public Weight loadVector(WeightSource source, List<String> names, List<Integer> lengths) {
        return inner.loadVector(source, names, lengths);
    }

    @Override
    public StepLimits automaticStepLimits(ModelConfig model) {
        return inner.automaticStepLimits(model);
    }

    @Override
    public void prepareSteps(ModelConfig model, EngineConfig config) {
        inner.prepareSteps(model, config);
    }

    @Override
    public int suggestCacheTokens(int cacheLayers, ModelConfig model, EngineConfig config) {
        return inner.suggestCacheTokens(cacheLayers, model, config);
    }

    @Override
    public void allocateCache(int numLayers, int capacityTokens, int kvSize) {
        inner.allocateCache(numLayers, capacityTokens, kvSize);
    }

    @Override
    public void beginStep(ForwardBatch batch) {
        inner.beginStep(batch);
    }

    @Override
    public void endStep() {
        inner.endStep();
    }

    @Override
    public List<StepTime> drainStepTimes() {
        return inner.drainStepTimes();
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return inner.allocate(rows, cols);
    }

    @Override
    public void embed(Weight table, ForwardBatch batch, Tensor out) {
        inner.embed(table, batch, out);
    }

    @Override
    public void rmsNorm(Tensor x, Weight weight, float eps, Tensor out) {
        inner.rmsNorm(x, weight, eps, out);
    }

    @Override
    public void addRmsNorm(Tensor residual, Tensor x, Weight weight, float eps, Tensor out) {
        inner.addRmsNorm(residual, x, weight, eps, out);
    }

    @Override
    public void linearAdd(Tensor x, Weight weight, Weight bias, Tensor scratch, Tensor residual) {
        inner.linearAdd(x, weight, bias, scratch, residual);
    }

    @Override
    public void linear(Tensor x, Weight weight, Weight bias, Tensor out) {
        inner.linear(x, weight, bias, out);
    }

    @Override
    public void linearForActivation(Tensor x, Weight weight, Tensor out) {
        inner.linearForActivation(x, weight, out);
    }

    @Override
    public void headRmsNorm(Tensor x, HeadSpan heads, Weight weight, float eps) {
        inner.headRmsNorm(x, heads, weight, eps);
    }

    @Override
    public void rotary(Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        inner.rotary(qkv, shape, rotary, batch);
    }

    @Override
    public void writeCache(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch) {
        inner.writeCache(layer, qkv, shape, batch);
    }

    @Override
    public void rotaryWriteCache(int layer, Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        inner.rotaryWriteCache(layer, qkv, shape, rotary, batch);
    }

    @Override
    public void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out) {
        inner.attention(layer, qkv, shape, batch, out);
    }

    @Override
    public void siluMul(Tensor gateUp, Tensor out) {
        inner.siluMul(gateUp, out);
    }

    @Override
    public Tensor gatherRows(Tensor x, int[] rows) {
        return inner.gatherRows(x, rows);
    }

    @Override
    public int[] sample(Tensor logits, List<SamplingState> states) {
        return inner.sample(logits, states);
    }

    @Override
    public List<RowLogprobs> logprobs(Tensor logits, int[] chosenTokens, int topN) {
        return inner.logprobs(logits, chosenTokens, topN);
    }

    @Override
    public List<RowLogprobs> lmHeadLogprobs(Tensor hidden, Weight lmHead, ScoredRows rows) {
        return inner.lmHeadLogprobs(hidden, lmHead, rows);
    }

    @Override
    public PendingOutputs launchOutputs(StepHead head, OutputSpec spec) {
        return inner.launchOutputs(head, spec);
    }

    @Override
    public Handoff handOff(List<Tensor> tensors) {
        return inner.handOff(tensors);
    }

    @Override
    public List<Tensor> receive(Handoff handoff) {
        return inner.receive(handoff);
    }

    @Override
    public float[] toHost(Tensor x) {
        return inner.toHost(x);
    }

    @Override
    public long peakDeviceMemoryBytes() {
        return inner.peakDeviceMemoryBytes();
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public ExpertRouting routeExperts(Tensor routerLogits, RouterSpec spec) {
        return inner.routeExperts(routerLogits, spec);
    }

    @Override
    public void expertLinear(Tensor x, ExpertRouting routing, Weight experts, Tensor out) {
        inner.expertLinear(x, routing, experts, out);
    }

    @Override
    public void combineExperts(Tensor expertOut, ExpertRouting routing, Tensor out) {
        inner.combineExperts(expertOut, routing, out);
    }
}
