package dev.flood.weights;

import java.util.Optional;

/**
 * Where a model's tensors come from: a safetensors checkpoint ({@link SafetensorsCheckpoint}) or random
 * weights of the right shapes ({@link DummyWeights}). Names are Hugging Face checkpoint names
 * ({@code model.layers.0.self_attn.q_proj.weight}); shapes are row-major, as PyTorch stores them
 * ({@code [outFeatures, inFeatures]} for a linear layer).
 */
public interface WeightSource extends AutoCloseable {

    /** Whether the source holds a tensor of this name. */
    boolean contains(String name);

    /**
     * Reads one tensor as float32, row-major. Fails with a {@link dev.flood.api.FloodException} naming the tensor
     * and the file if it is missing or if its shape differs from {@code expectedShape}.
     */
    float[] loadFloats(String name, long... expectedShape);

    /**
     * The tensor's stored bytes (little-endian, in its stored {@link DType}), without copying where the source
     * is memory-mapped; for backends that keep weights in bf16. Same checks as {@link #loadFloats}.
     */
    TensorData loadRaw(String name, long... expectedShape);

    /**
     * The weight {@code [rows, cols]} as FP8 codes and scales when the source stores it so (a quantized checkpoint,
     * {@link QuantizedCheckpoint}); empty when it is stored in another type, as in every other source.
     */
    default Optional<Fp8Tensor> loadFp8(String name, long rows, long cols) {
        return Optional.empty();
    }

    /** A human-readable origin for messages, e.g. the model folder. */
    String description();

    @Override
    void close();
}
