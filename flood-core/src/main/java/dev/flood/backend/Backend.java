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
 * <p>Activations are {@code [numTokens, width]}. Packed projections put their parts side by side in columns:
 * {@code qkv} is {@code [numTokens, qSize + 2 * kvSize]} (queries, then keys, then values, each head-major),
 * {@code gateUp} is {@code [numTokens, 2 * intermediate]} (gate, then up).
 */
public interface Backend extends AutoCloseable {

    String name();

    /** Rows of several checkpoint tensors, each {@code [rows_i, cols]}, stacked into one matrix (fused QKV, gate/up). */
    Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols);

    /** One or several checkpoint vectors concatenated (norm weights, packed q/k/v biases). */
    Weight loadVector(WeightSource source, List<String> names, List<Integer> lengths);

    /**
     * How many token slots the KV cache should have when the configuration leaves it open ({@code cacheTokens}
     * 0): what fits in the memory left after the weights (loaded before this is asked), capped at what the
     * running requests could ever use. Fails with a {@link dev.flood.api.FloodException} when not even a small
     * cache fits.
     */
    int suggestCacheTokens(ModelConfig model, EngineConfig config);

    /** Allocates the segment KV cache: per layer one K and one V slab of {@code [capacityTokens, kvSize]}. */
    void allocateCache(int numLayers, int capacityTokens, int kvSize);

    /**
     * Starts a step: every tensor of the previous step is released, and a backend may upload the batch's arrays
     * once here for all the step's operations. Called first in each forward pass with the batch that every op of
     * the step then receives.
     */
    default void beginStep(ForwardBatch batch) {
    }

    /** A scratch activation of {@code [rows, cols]}; contents undefined. Valid for the current step. */
    Tensor allocate(int rows, int cols);

    /** {@code out[t] = table[tokenIds[t]]}. */
    void embed(Weight table, ForwardBatch batch, Tensor out);

    /** {@code out[t] = x[t] / rms(x[t]) * weight}, rms over the row with {@code eps} inside the root. */
    void rmsNorm(Tensor x, Weight weight, float eps, Tensor out);

    /** {@code residual += x}, then {@code out = rmsNorm(residual)}: the add and norm between sublayers. */
    void addRmsNorm(Tensor residual, Tensor x, Weight weight, float eps, Tensor out);

    /** {@code out = x · weightᵀ (+ bias)}: x {@code [n, in]}, weight {@code [out, in]}, bias {@code [out]} or null. */
    void linear(Tensor x, Weight weight, Weight bias, Tensor out);

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
     * Causal attention of each token's query heads over its request's cached keys and values (this step's
     * included): {@code out [numTokens, qSize]}.
     */
    void attention(int layer, Tensor qkv, AttentionShape shape, ForwardBatch batch, Tensor out);

    /** {@code out = silu(gate) * up} with gate and up the two halves of {@code gateUp}'s columns. */
    void siluMul(Tensor gateUp, Tensor out);

    /** The chosen rows of {@code x}, in order, as a new activation. */
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
     * {@link dev.flood.sampling.Sampler#rowLogprobs} computes them. Scoring reads its targets' log-probabilities
     * this way.
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

    /** Copies an activation to the host, row-major. */
    float[] toHost(Tensor x);

    /**
     * The most device memory in use so far, in bytes, as the device reports it after each allocation (weights,
     * cache, workspace, and the runtime's own); 0 for a backend without a device.
     */
    default long peakDeviceMemoryBytes() {
        return 0;
    }

    /** Frees the cache and weights. */
    @Override
    void close();
}
