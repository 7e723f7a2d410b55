package dev.flood.config;

import dev.flood.weights.DType;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a decoder-only transformer, read from a Hugging Face {@code config.json}
 * ({@link ModelConfigReader}). Validated once here; everything downstream trusts it.
 *
 * @param architecture         the Hugging Face class name, e.g. {@code LlamaForCausalLM}
 * @param vocabSize            rows of the embedding table and of the lm_head
 * @param hiddenSize           width of the residual stream
 * @param intermediateSize     width of the MLP's gate/up projections
 * @param numLayers            decoder layers
 * @param numHeads             query heads per layer
 * @param numKvHeads           key/value heads per layer; {@code numHeads % numKvHeads == 0} (grouped-query attention)
 * @param headDim              width of one head; often {@code hiddenSize / numHeads}, but not always (Qwen3)
 * @param rmsNormEps           epsilon inside every RMSNorm
 * @param rope                 rotary embedding parameters
 * @param maxPositions         the model's context length ({@code max_position_embeddings})
 * @param tieWordEmbeddings    whether the lm_head reuses the embedding table
 * @param attentionBias        config.json's {@code attention_bias}; architectures that always have q/k/v biases
 *                             (Qwen2) say so in their model class instead
 * @param bosTokenId           beginning-of-sequence id, or -1 if none
 * @param eosTokenIds          end-of-sequence ids from config.json and generation_config.json, possibly empty
 * @param dtype                the checkpoint's declared dtype ({@code bfloat16}, {@code float16}, {@code float32})
 * @param moe                  the expert fields of a mixture-of-experts config, or null when it has none
 * @param slidingWindow        the sliding-window fields, as written ({@link SlidingWindowFields#ABSENT} when none)
 */
public record ModelConfig(
        String architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        RopeConfig rope,
        int maxPositions,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        List<Integer> eosTokenIds,
        String dtype,
        MoeConfig moe,
        SlidingWindowFields slidingWindow) {

    public ModelConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(rope, "rope");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(slidingWindow, "slidingWindow");
        eosTokenIds = List.copyOf(eosTokenIds);
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
        }
        if (!slidingWindow.layerTypes().isEmpty() && slidingWindow.layerTypes().size() != numLayers) {
            throw new IllegalArgumentException("layer_types has " + slidingWindow.layerTypes().size()
                    + " entries for " + numLayers + " layers");
        }
    }

    /** A dense model without sliding-window fields. */
    public ModelConfig(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                       int numHeads, int numKvHeads, int headDim, double rmsNormEps, RopeConfig rope, int maxPositions,
                       boolean tieWordEmbeddings, boolean attentionBias, int bosTokenId, List<Integer> eosTokenIds,
                       String dtype) {
        this(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                rmsNormEps, rope, maxPositions, tieWordEmbeddings, attentionBias, bosTokenId, eosTokenIds, dtype, null,
                SlidingWindowFields.ABSENT);
    }

    /** The checkpoint's dtype as a {@link DType}: {@code bfloat16}, {@code float16}, anything else float32. */
    public DType storageDtype() {
        return switch (dtype) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
    }

    /** Query heads that share one key/value head. */
    public int queriesPerKvHead() {
        return numHeads / numKvHeads;
    }

    /** Width of the concatenated query projection: {@code numHeads * headDim}. */
    public int qSize() {
        return numHeads * headDim;
    }

    /** Width of one of the key or value projections: {@code numKvHeads * headDim}. */
    public int kvSize() {
        return numKvHeads * headDim;
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
