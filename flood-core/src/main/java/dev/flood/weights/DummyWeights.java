package dev.flood.weights;

import dev.flood.api.FloodException;
import dev.flood.config.ModelConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Random weights of whatever shape is asked for, to benchmark a model without downloading it (vLLM's
 * {@code load_format=dummy}). Every value is rounded to bfloat16, so {@link #loadFloats} and {@link #loadRaw}
 * agree exactly.
 *
 * <p>Tensors whose name contains {@code norm} get values uniform in [0.9, 1.1] (RMSNorm scales near one);
 * every other tensor gets values uniform in [-0.02·√3, 0.02·√3], which has the standard deviation 0.02 of
 * Hugging Face's initializer. Uniform rather than normal because filling a 128256 × 4096 embedding is then a
 * hash and a multiply per element; benchmarks need the shapes and a sane scale, not the bell curve.
 *
 * <p>Element {@code i} of tensor {@code name} is a function of {@code (seed, name, i)} alone (a counter-based
 * SplitMix64 stream), so the values do not depend on the shape they are asked for with, the order of requests,
 * or how the work is split across threads.
 */
public final class DummyWeights implements WeightSource {

    private static final String LM_HEAD = "lm_head.weight";
    private static final String EMBEDDINGS = "model.embed_tokens.weight";

    /** Hugging Face's {@code initializer_range}. */
    private static final float WEIGHT_STD = 0.02f;
    /** A uniform distribution on [-h, h] has standard deviation h / √3. */
    private static final float WEIGHT_HALF_WIDTH = (float) (WEIGHT_STD * Math.sqrt(3.0));
    private static final float NORM_LOW = 0.9f;
    private static final float NORM_HIGH = 1.1f;

    /** SplitMix64's increment, 2^64 / golden ratio. */
    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;
    private static final long FNV_OFFSET_BASIS = 0xCBF2_9CE4_8422_2325L;
    private static final long FNV_PRIME = 0x0000_0100_0000_01B3L;

    private final ModelConfig config;
    private final long seed;

    public DummyWeights(ModelConfig config, long seed) {
        this.config = Objects.requireNonNull(config, "config");
        this.seed = seed;
    }

    /** Every name except {@code lm_head.weight} when the config ties it to the embeddings. */
    @Override
    public boolean contains(String name) {
        return !(config.tieWordEmbeddings() && name.equals(LM_HEAD));
    }

    @Override
    public float[] loadFloats(String name, long... expectedShape) {
        ValueStream stream = stream(name, expectedShape);
        float[] values = new float[Shapes.arrayLength(name, description(), expectedShape)];
        ParallelChunks.forEach(values.length, (first, count) -> {
            for (int i = first; i < first + count; i++) {
                values[i] = HalfFloats.bf16ToFloat(stream.bf16(i));
            }
        });
        return values;
    }

    /** The same values as {@link #loadFloats}, as BF16 in a little-endian heap buffer. */
    @Override
    public TensorData loadRaw(String name, long... expectedShape) {
        ValueStream stream = stream(name, expectedShape);
        long numBytes = Shapes.numElements(expectedShape) * DType.BF16.bytes();
        if (numBytes > Shapes.MAX_ARRAY_LENGTH) {
            throw new FloodException("tensor " + name + " in " + description() + " would be " + numBytes
                    + " bytes, more than one buffer holds (2 GiB - 1)");
        }
        ByteBuffer data = ByteBuffer.allocate((int) numBytes).order(ByteOrder.LITTLE_ENDIAN);
        ParallelChunks.forEach((int) (numBytes / DType.BF16.bytes()), (first, count) -> {
            // A slice per task: its own position and byte order over the shared bytes.
            ShortBuffer out = data.slice(first * DType.BF16.bytes(), count * DType.BF16.bytes())
                    .order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
            for (int i = 0; i < count; i++) {
                out.put(i, stream.bf16(first + i));
            }
        });
        return new TensorData(name, DType.BF16, expectedShape.clone(), data);
    }

    @Override
    public String description() {
        return "dummy weights for " + config.architecture() + " (seed " + seed + ")";
    }

    /** Nothing to release. */
    @Override
    public void close() {
    }

    private ValueStream stream(String name, long[] shape) {
        if (!contains(name)) {
            throw new FloodException("tensor " + name + " not found in " + description()
                    + ": tie_word_embeddings is set, so the lm_head reuses " + EMBEDDINGS);
        }
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("shape " + Shapes.format(shape) + " of tensor " + name
                        + " has a negative dimension");
            }
        }
        long base = mix64(mix64(seed) + fnv1a64(name));
        return name.contains("norm")
                ? new ValueStream(base, NORM_LOW, NORM_HIGH - NORM_LOW)
                : new ValueStream(base, -WEIGHT_HALF_WIDTH, 2 * WEIGHT_HALF_WIDTH);
    }

    /** Element {@code i} is uniform in [low, high), from the SplitMix64 output at counter {@code base + (i+1)·γ}. */
    private record ValueStream(long base, float low, float width) {

        short bf16(long index) {
            long bits = mix64(base + (index + 1) * GOLDEN_GAMMA);
            // The top 24 bits as a float in [0, 1): float arithmetic keeps more precision than bf16 can hold.
            float unit = (bits >>> 40) * 0x1.0p-24f;
            return HalfFloats.floatToBf16(low + width * unit);
        }
    }

    /** SplitMix64's output function: a bijection on 64-bit values that scrambles every input bit. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a of the name's UTF-8 bytes: stable across JVMs, unlike identity hashes. */
    private static long fnv1a64(String name) {
        long hash = FNV_OFFSET_BASIS;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xFF)) * FNV_PRIME;
        }
        return hash;
    }
}
