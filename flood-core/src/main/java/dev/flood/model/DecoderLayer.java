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
import java.util.List;

/**
 * One pre-norm decoder layer shared by every Llama-family architecture: attention with packed QKV (optional
 * biases, optional q/k head norms), then a SiLU-gated MLP with packed gate/up.
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
    private final Weight postNorm;    // [hidden]
    private final Weight gateUp;      // [2 * intermediate, hidden]: gate_proj, up_proj rows
    private final Weight down;        // [hidden, intermediate]

    /** Layer {@code index} of the model, keeping its keys and values in cache layer {@code cacheLayer}. */
    DecoderLayer(int index, int cacheLayer, ModelConfig config, DecoderOptions options, WeightNames names,
                 WeightSource source, Backend backend) {
        this.cacheLayer = cacheLayer;
        this.shape = AttentionShape.of(config.numHeads(), config.numKvHeads(), config.headDim());
        this.eps = (float) config.rmsNormEps();
        int hidden = config.hiddenSize();
        List<Integer> qkvRows = List.of(config.qSize(), config.kvSize(), config.kvSize());
        List<String> qkvModules = List.of(names.layer(index, names.qProj()), names.layer(index, names.kProj()),
                names.layer(index, names.vProj()));
        inputNorm = backend.loadVector(source, List.of(names.layer(index, names.inputNorm())), List.of(hidden));
        qkv = backend.loadLinear(source, qkvModules.stream().map(WeightNames::weight).toList(), qkvRows, hidden);
        qkvBias = options.qkvBias()
                ? backend.loadVector(source, qkvModules.stream().map(WeightNames::bias).toList(), qkvRows) : null;
        qNorm = options.qkNorm()
                ? backend.loadVector(source, List.of(names.layer(index, names.qNorm())), List.of(config.headDim())) : null;
        kNorm = options.qkNorm()
                ? backend.loadVector(source, List.of(names.layer(index, names.kNorm())), List.of(config.headDim())) : null;
        oProj = backend.loadLinear(source, List.of(WeightNames.weight(names.layer(index, names.oProj()))),
                List.of(hidden), config.qSize());
        postNorm = backend.loadVector(source, List.of(names.layer(index, names.postAttentionNorm())), List.of(hidden));
        gateUp = backend.loadLinear(source, List.of(WeightNames.weight(names.layer(index, names.gateProj())),
                WeightNames.weight(names.layer(index, names.upProj()))),
                List.of(config.intermediateSize(), config.intermediateSize()), hidden);
        down = backend.loadLinear(source, List.of(WeightNames.weight(names.layer(index, names.downProj()))),
                List.of(hidden), config.intermediateSize());
    }

    /**
     * The intermediate activations of one layer, allocated once per step and reused by every layer, so a step
     * holds one layer's worth of them (a backend's step workspace would otherwise keep every layer's).
     */
    record Scratch(Tensor qkv, Tensor attention, Tensor projected, Tensor gateUp, Tensor activated) {

        static Scratch allocate(Backend backend, int numTokens, ModelConfig config) {
            return new Scratch(backend.allocate(numTokens, config.qSize() + 2 * config.kvSize()),
                    backend.allocate(numTokens, config.qSize()),
                    backend.allocate(numTokens, config.hiddenSize()),
                    backend.allocate(numTokens, 2 * config.intermediateSize()),
                    backend.allocate(numTokens, config.intermediateSize()));
        }
    }

    /**
     * Runs the layer on {@code normed} (this layer's input norm already applied to {@code residual}); adds both
     * sublayers' outputs to {@code residual} and leaves {@code nextNorm(residual)} in {@code normed}.
     */
    void forward(Backend backend, ForwardBatch batch, RotaryTable rotary, Tensor residual, Tensor normed,
                 Weight nextNorm, Scratch scratch) {
        Tensor qkvOut = scratch.qkv();
        backend.linear(normed, qkv, qkvBias, qkvOut);
        if (qNorm != null) {
            backend.headRmsNorm(qkvOut, new HeadSpan(0, shape.numHeads(), shape.headDim()), qNorm, eps);
            backend.headRmsNorm(qkvOut, new HeadSpan(shape.kColumn(), shape.numKvHeads(), shape.headDim()), kNorm, eps);
        }
        backend.rotaryWriteCache(cacheLayer, qkvOut, shape, rotary, batch);
        Tensor attention = scratch.attention();
        backend.attention(cacheLayer, qkvOut, shape, batch, attention);
        Tensor projected = scratch.projected();
        backend.linear(attention, oProj, null, projected);
        backend.addRmsNorm(residual, projected, postNorm, eps, normed);

        Tensor gateUpOut = scratch.gateUp();
        backend.linear(normed, gateUp, null, gateUpOut);
        Tensor activated = scratch.activated();
        backend.siluMul(gateUpOut, activated);
        backend.linear(activated, down, null, projected);
        backend.addRmsNorm(residual, projected, nextNorm, eps, normed);
    }
}
