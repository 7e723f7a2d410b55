package dev.flood.backend;

import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.SamplingState;
import dev.flood.weights.WeightSource;
import java.util.List;

/**
 * The batched operations a decoder-only transformer needs, over every scheduled token of a step at once. The
 * model composes these; it never loops over requests. {@link CpuBackend} implements them in plain fp32 and is
 * the reference every other backend is tested against.
 *
 * <p>A step: {@link #beginStep}, the model's ops, then on a pipeline's last stage {@link #launchOutputs} (or on
 * another stage {@link #handOff} to the next stage's backend, which {@link #receive}s after its own beginStep),
 * then {@link #endStep}. Up to {@link #prepareSteps}' number of steps may be in flight: a backend with a device
 * returns from these calls once the work is queued, and each step in flight keeps its own step buffers.
 *
 * <p>Threads: one thread at a time runs steps (a pipeline stage's worker); {@link PendingOutputs#await} runs on
 * the engine thread and only waits for the step and reads its results.
 *
 * <p>Activations are {@code [numTokens, width]}. Packed projections put their parts side by side in columns:
 * {@code qkv} is {@code [numTokens, qSize + 2 * kvSize]} (queries, then keys, then values, each head-major),
 * {@code gateUp} is {@code [numTokens, 2 * intermediate]} (gate, then up).
 */
public interface Backend extends AutoCloseable {

    String name();

    /** Rows of several checkpoint tensors, each {@code [rows_i, cols]}, stacked into one matrix (fused QKV, gate/up). */
    Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols);

    /**
     * A linear layer's weight, as {@link #loadMatrix}, for {@link #linear} only: a backend may hold it quantized
     * (FP8), which the embedding table and the lm_head, loaded with {@link #loadMatrix}, never are.
     */
    default Weight loadLinear(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
        return loadMatrix(source, names, rowsPerPart, cols);
    }

    /** One or several checkpoint vectors concatenated (norm weights, packed q/k/v biases). */
    Weight loadVector(WeightSource source, List<String> names, List<Integer> lengths);

    /**
     * The step limits for a configuration that leaves them automatic (0), asked once the weights are loaded: the
     * CPU backend's fixed {@link StepLimits#CPU}; a GPU backend's from the model and the memory left.
     */
    default StepLimits automaticStepLimits(ModelConfig model) {
        return StepLimits.CPU;
    }

    /**
     * Sets up the buffers of {@code config.maxStepsInFlight()} steps in flight, each sized for a step of
     * {@code config.maxBatchTokens()} tokens of {@code model}. Called once, after the weights are loaded and
     * before the cache is sized; without it a backend runs one step at a time and grows its buffers as needed.
     */
    default void prepareSteps(ModelConfig model, EngineConfig config) {
    }

    /**
     * How many token slots the KV cache should have when the configuration leaves it open ({@code cacheTokens}
     * 0): what fits in the memory left after the weights and step buffers (set up before this is asked) for the
     * keys and values of {@code cacheLayers} layers (this stage's, plus those of other stages sharing this
     * backend's memory, such as two stages on one GPU), capped at what the running requests could ever use.
     * Fails with a {@link dev.flood.api.FloodException} when not even a small cache fits.
     */
    int suggestCacheTokens(int cacheLayers, ModelConfig model, EngineConfig config);

    /** Allocates the segment KV cache: per layer one K and one V slab of {@code [capacityTokens, kvSize]}. */
    void allocateCache(int numLayers, int capacityTokens, int kvSize);

    /**
     * Starts a step: a backend may upload the batch's arrays once here for all the step's operations. Called
     * first in each forward pass with the batch that every op of the step then receives. The tensors of the step
     * that last used this step's buffers are released; with one step in flight, that is the previous step.
     */
    default void beginStep(ForwardBatch batch) {
    }

    /**
     * Ends the step begun last: all its work is issued. A backend with a device marks there when the device will
     * have finished it, which {@link PendingOutputs#await} and the next user of the step's buffers wait for. A
     * {@link #beginStep} without it ends the previous step itself.
     */
    default void endStep() {
    }

    /**
     * The {@link StepTime}s of steps whose times are known since the last call, in step order; a step's time is
     * known once the device has finished it (the CPU: at {@link #endStep}). For the between-step idle share.
     */
    List<StepTime> drainStepTimes();

    /** A scratch activation of {@code [rows, cols]}; contents undefined. Valid for the current step. */
    Tensor allocate(int rows, int cols);

    /**
     * {@code out[t] = table[tokenIds[t]]}; a row with a deferred token ({@link ForwardBatch#deferredTokens()}
     * {@code = j}) takes the token drawn for sample row {@code j} by the previous step's {@link #launchOutputs} on
     * this backend. Where that step drew no tokens (it failed before), such rows read token 0: the engine
     * discards them with the failed step's requests.
     */
    void embed(Weight table, ForwardBatch batch, Tensor out);

    /** {@code out[t] = x[t] / rms(x[t]) * weight}, rms over the row with {@code eps} inside the root. */
    void rmsNorm(Tensor x, Weight weight, float eps, Tensor out);

    /** {@code residual += x}, then {@code out = rmsNorm(residual)}: the add and norm between sublayers. */
    void addRmsNorm(Tensor residual, Tensor x, Weight weight, float eps, Tensor out);

    /** {@code out = x · weightᵀ (+ bias)}: x {@code [n, in]}, weight {@code [out, in]}, bias {@code [out]} or null. */
    void linear(Tensor x, Weight weight, Weight bias, Tensor out);

    /**
     * {@code residual += x · weightᵀ (+ bias)}: a sublayer's output projection added to the float32 residual stream
     * ({@code [n, out]}). {@code scratch [n, out]} may hold the product on its way; its contents afterwards are
     * undefined. The sum is the float32 {@code residual + product} that {@link #linear} then {@link #addRmsNorm}
     * form; a backend may add the product as its GEMM writes it (CUDA: in the epilogue) instead.
     */
    void linearAdd(Tensor x, Weight weight, Weight bias, Tensor scratch, Tensor residual);

    /**
     * {@link #linear} for a product whose one reader is {@link #siluMul} (the gated MLP's gate and up): a backend
     * may write it in the precision its GEMMs read, as a bf16 model does (the CUDA backend writes bf16, half the
     * bytes); the float32 reference keeps float32.
     */
    default void linearForActivation(Tensor x, Weight weight, Tensor out) {
        linear(x, weight, null, out);
    }

    /**
     * In place, RMSNorm over each head of {@code heads}, all sharing {@code weight [headDim]} (Qwen3's q_norm and
     * k_norm).
     */
    void headRmsNorm(Tensor x, HeadSpan heads, Weight weight, float eps);

    /** In place, rotary embedding on the query and key heads of {@code qkv} at each token's position. */
    void rotary(Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch);

    /** Writes each token's keys and values (columns of {@code qkv}) to layer {@code layer}'s slabs at its slot. */
    void writeCache(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch);

    /**
     * {@link #rotary} then {@link #writeCache}, as one operation so that a backend can do both in one pass over the
     * step's keys.
     */
    default void rotaryWriteCache(int layer, Tensor qkv, AttentionShape shape, RotaryTable rotary, ForwardBatch batch) {
        rotary(qkv, shape, rotary, batch);
        writeCache(layer, qkv, shape, batch);
    }

    /**
     * Causal attention of each token's query heads over its request's cached keys and values (this step's
     * included), within {@code shape}'s sliding window if it has one: {@code out [numTokens, qSize]}.
     */
    void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out);

    /** {@code out = silu(gate) * up} with gate and up the two halves of {@code gateUp}'s columns. */
    void siluMul(Tensor gateUp, Tensor out);

    /**
     * Routes each token to {@code spec.topK()} experts from float32 {@code routerLogits [numTokens, numExperts]}
     * (the output of {@link #linear} with the router's weight), as {@link RouterSpec} describes.
     */
    ExpertRouting routeExperts(Tensor routerLogits, RouterSpec spec);

    /**
     * The experts' linear layers, one row per (token, chosen expert) pair: {@code out [numPairs, outPerExpert]}
     * row {@code p} is {@code x[row] · W_e^T} for pair p's expert e, where {@code experts [numExperts * outPerExpert,
     * in]} stacks every expert's weight by rows (expert e's rows e * outPerExpert ..). {@code x} holds either one row
     * per token {@code [numTokens, in]} (each token's row feeds all its pairs) or one row per pair
     * {@code [numPairs, in]} (row p feeds pair p).
     */
    void expertLinear(Tensor x, ExpertRouting routing, Weight experts, Tensor out);

    /**
     * {@code out [numTokens, width]} row t is the weighted sum of token t's pair rows of {@code expertOut
     * [numPairs, width]}, summed in float32 in ascending expert order (as transformers adds each expert's output).
     */
    void combineExperts(Tensor expertOut, ExpertRouting routing, Tensor out);

    /**
     * The chosen rows of {@code x}, in order, as an activation that callers only read: a backend may return
     * {@code x} itself when {@code rows} are all of its rows in order (a decode step's logits rows), saving the copy.
     */
    Tensor gatherRows(Tensor x, int[] rows);

    /**
     * One token per row of float32 {@code logits [rows, vocab]}, row r drawn with {@code states.get(r)} exactly as
     * {@link dev.flood.sampling.Sampler#sample} does (penalties, temperature, filters, the seeded draw at counter
     * {@code numGenerated()}). The states are read, not advanced.
     */
    int[] sample(Tensor logits, List<SamplingState> states);

    /**
     * For each row r of float32 {@code logits [rows, vocab]}: log p({@code chosenTokens[r]}) and the {@code topN}
     * most likely tokens (0 for none) under the log-softmax of the raw logits, in double, as
     * {@link dev.flood.sampling.Sampler#rowLogprobs} computes them.
     */
    List<RowLogprobs> logprobs(Tensor logits, int[] chosenTokens, int topN);

    /**
     * Scoring's log-probabilities, read straight from final hidden states: for each i, the logits
     * {@code hidden[rows.rows()[i]] · lmHeadᵀ} and then what {@link #logprobs} gives for them with
     * {@code rows.targets()[i]} chosen and the {@code rows.topN()} best. {@code hidden} is
     * {@code [numTokens, hiddenSize]}, {@code lmHead} {@code [vocab, hiddenSize]}. A backend runs the lm_head over
     * bounded chunks of rows, so the memory this takes does not grow with the number of rows (a step's every
     * token may be scored); the rows' full logits are never held at once.
     */
    List<RowLogprobs> lmHeadLogprobs(Tensor hidden, Weight lmHead, ScoredRows rows);

    /**
     * Starts computing the step's outputs from its {@code head}: the tokens of {@code spec}'s sample rows from the
     * float32 logits (as {@link #sample} draws them, at each {@link dev.flood.sampling.Draw}'s counter), their
     * log-probabilities where asked, and the scored rows' log-probabilities from the hidden states (as
     * {@link #lmHeadLogprobs} computes them, in its bounded memory). Returns without waiting for a device; the
     * drawn tokens stay where the next step's {@link #embed} finds them. A row whose request has penalties may be
     * drawn at {@link PendingOutputs#await}, on the engine thread, from its state then: the engine puts such a
     * request in one step at a time, so its state is the same.
     */
    PendingOutputs launchOutputs(StepHead head, OutputSpec spec);

    /**
     * Makes this step's {@code tensors} readable by another backend (the next pipeline stage): returns what that
     * backend's {@link #receive} takes. The tensors are not touched again by this backend in this step.
     */
    Handoff handOff(List<Tensor> tensors);

    /**
     * Copies another backend's handed-off tensors into this backend's current step (same shapes and element
     * types), reading them only once the sender has written them.
     */
    List<Tensor> receive(Handoff handoff);

    /** Copies an activation to the host, row-major. */
    float[] toHost(Tensor x);

    /**
     * The most device memory in use so far, in bytes, as the device reports it after each allocation (weights,
     * cache, workspace, and the runtime's own); 0 for a backend without a device.
     */
    default long peakDeviceMemoryBytes() {
        return 0;
    }

    /** Frees the cache, weights and step buffers. */
    @Override
    void close();
}
