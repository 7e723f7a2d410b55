package dev.flood.model;

import dev.flood.backend.Backend;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.config.ModelConfig;
import dev.flood.weights.WeightSource;

/**
 * A decoder layer's feed-forward sublayer on a backend: a dense {@link GatedMlp} or a sparse {@link SparseMoe},
 * chosen per layer by {@link LayerOptions#feedForward()}. It adds its output to the residual stream itself.
 */
interface FeedForward {

    /**
     * Reads {@code normed [numTokens, hidden]} (the post-attention norm of the residual), adds the sublayer's output
     * to the residual stream and leaves the next norm of it in {@code normed} (bf16), each sublayer the way its last
     * op allows (a GEMM adding into the residual, or an add fused with the norm); intermediate activations come
     * from {@code scratch}, among them {@code "projected" [numTokens, hidden]}.
     */
    void forward(Backend backend, Tensor normed, Residual residual, DecoderLayer.Scratch scratch);

    /** The residual stream {@code [numTokens, hidden]} (float32) and the norm that follows this sublayer. */
    record Residual(Tensor stream, Weight nextNorm, float eps) {
    }

    /** Loads {@code layer}'s feed-forward sublayer of kind {@code spec}. */
    static FeedForward load(FeedForwardSpec spec, LayerSource layer, Backend backend) {
        if (spec instanceof FeedForwardSpec.Sparse sparse) {
            return SparseMoe.load(sparse, layer, backend);
        }
        return GatedMlp.load((FeedForwardSpec.Dense) spec, layer, backend);
    }

    /** Where one layer's weights come from: the layer index, the model's shape and its checkpoint names. */
    record LayerSource(int layer, ModelConfig config, WeightNames names, WeightSource source) {

        /** The full name of this layer's parameter {@code name}. */
        String name(String name) {
            return names.layer(layer, name);
        }
    }
}
