package dev.flood.model;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.HeadSpan;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.weights.WeightSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One pre-norm decoder layer shared by every Llama-family architecture: attention with packed QKV (optional
 * biases, optional q/k head norms, an optional sliding window), then the layer's feed-forward sublayer (a
 * SiLU-gated MLP, or a mixture of such experts).
 */
final class DecoderLayer {

    private final int cacheLayer;     // this layer's K/V slabs in its backend's cache (which holds its stage's layers)
    private final AttentionShape shape;
    private final float eps;
    final Weight inputNorm;           // [hidden]
    private final Weight qkv;         // [qSize + 2 * kvSize, hidden]: q_proj, k_proj, v_proj rows
    private final Weight qkvBias;     // [qSize + 2 * kvSize] or null
    private final Weight qNorm;       // [headDim] or null
    private final Weight kNorm;       // [headDim] or null
    private final Weight oProj;       // [hidden, qSize]
    private final Weight oBias;       // [hidden] or null
    private final Weight postNorm;    // [hidden]
    private final FeedForward feedForward;

    /** Layer {@code index} of the model, keeping its keys and values in cache layer {@code cacheLayer}. */
    DecoderLayer(int index, int cacheLayer, ModelConfig config, DecoderOptions options, WeightNames names,
                 WeightSource source, Backend backend) {
        LayerOptions layer = options.layers().get(index);
        this.cacheLayer = cacheLayer;
        this.shape = AttentionShape.of(config.numHeads(), config.numKvHeads(), config.headDim())
                .withSlidingWindow(layer.slidingWindow());
        this.eps = (float) config.rmsNormEps();
        int hidden = config.hiddenSize();
        List<Integer> qkvRows = List.of(config.qSize(), config.kvSize(), config.kvSize());
        List<String> qkvModules = List.of(names.layer(index, names.qProj()), names.layer(index, names.kProj()),
                names.layer(index, names.vProj()));
        String oModule = names.layer(index, names.oProj());
        inputNorm = backend.loadVector(source, List.of(names.layer(index, names.inputNorm())), List.of(hidden));
        qkv = backend.loadLinear(source, qkvModules.stream().map(WeightNames::weight).toList(), qkvRows, hidden);
        qkvBias = options.qkvBias()
                ? backend.loadVector(source, qkvModules.stream().map(WeightNames::bias).toList(), qkvRows) : null;
        qNorm = options.qkNorm()
                ? backend.loadVector(source, List.of(names.layer(index, names.qNorm())), List.of(config.headDim())) : null;
        kNorm = options.qkNorm()
                ? backend.loadVector(source, List.of(names.layer(index, names.kNorm())), List.of(config.headDim())) : null;
        oProj = backend.loadLinear(source, List.of(WeightNames.weight(oModule)), List.of(hidden), config.qSize());
        oBias = options.outputBias()
                ? backend.loadVector(source, List.of(WeightNames.bias(oModule)), List.of(hidden)) : null;
        postNorm = backend.loadVector(source, List.of(names.layer(index, names.postAttentionNorm())), List.of(hidden));
        feedForward = FeedForward.load(layer.feedForward(), new FeedForward.LayerSource(index, config, names, source),
                backend);
    }

    /**
     * The intermediate activations of one step, allocated on first use and reused by every layer, so a step holds
     * one layer's worth of each (a backend's step workspace would otherwise keep every layer's). Keyed by role and
     * shape: a model whose layers differ (dense and sparse feed-forward) gets each kind's activations once.
     */
    static final class Scratch {

        private record Key(String role, int rows, int cols) {
        }

        private final Backend backend;
        private final Map<Key, Tensor> tensors = new HashMap<>();

        private Scratch(Backend backend) {
            this.backend = backend;
        }

        /** A scratch for one step of {@code numTokens} tokens, with the attention's activations allocated. */
        static Scratch allocate(Backend backend, int numTokens, ModelConfig config) {
            Scratch scratch = new Scratch(backend);
            scratch.tensor("qkv", numTokens, config.qSize() + 2 * config.kvSize());
            scratch.tensor("attention", numTokens, config.qSize());
            scratch.tensor("projected", numTokens, config.hiddenSize());
            return scratch;
        }

        /** The step's {@code [rows, cols]} activation for {@code role}; contents undefined. */
        Tensor tensor(String role, int rows, int cols) {
            return tensors.computeIfAbsent(new Key(role, rows, cols), key -> backend.allocate(rows, cols));
        }
    }

    /**
     * Runs the layer on {@code normed} (this layer's input norm already applied to {@code residual}); adds both
     * sublayers' outputs to {@code residual} and leaves {@code nextNorm(residual)} in {@code normed}.
     */
    void forward(Backend backend, ForwardBatch batch, RotaryTable rotary, Tensor residual, Tensor normed,
                 Weight nextNorm, Scratch scratch) {
        int numTokens = batch.numTokens();
        Tensor qkvOut = scratch.tensor("qkv", numTokens, shape.qkvWidth());
        backend.linear(normed, qkv, qkvBias, qkvOut);
        if (qNorm != null) {
            backend.headRmsNorm(qkvOut, new HeadSpan(0, shape.numHeads(), shape.headDim()), qNorm, eps);
            backend.headRmsNorm(qkvOut, new HeadSpan(shape.kColumn(), shape.numKvHeads(), shape.headDim()), kNorm, eps);
        }
        backend.rotaryWriteCache(cacheLayer, qkvOut, shape, rotary, batch);
        Tensor attention = scratch.tensor("attention", numTokens, shape.qSize());
        backend.attention(cacheLayer, qkvOut, shape, batch, attention);
        backend.linearAdd(attention, oProj, oBias, scratch.tensor("projected", numTokens, residual.cols()), residual);
        backend.rmsNorm(residual, postNorm, eps, normed);

        feedForward.forward(backend, normed, new FeedForward.Residual(residual, nextNorm, eps), scratch);
    }
}
