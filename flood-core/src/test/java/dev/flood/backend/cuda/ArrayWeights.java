package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.weights.DType;
import dev.flood.weights.HalfFloats;
import dev.flood.weights.TensorData;
import dev.flood.weights.WeightSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Tensors held in memory for backend tests, stored as bf16 (as checkpoints are): every value put in is rounded
 * to bf16 first, so the CPU backend (float32 from {@link #loadFloats}) and the CUDA backend (bf16 bytes from
 * {@link #loadRaw}) receive exactly the same numbers.
 */
final class ArrayWeights implements WeightSource {

    private record Entry(float[] values, long[] shape) {
    }

    private final Map<String, Entry> tensors = new HashMap<>();

    /** Stores {@code values} (rounded to bf16 in place) under {@code name} with {@code shape}. */
    float[] put(String name, float[] values, long... shape) {
        for (int i = 0; i < values.length; i++) {
            values[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
        }
        tensors.put(name, new Entry(values, shape.clone()));
        return values;
    }

    /** Drops a tensor once the backends hold it. */
    void remove(String name) {
        tensors.remove(name);
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    private Entry entry(String name, long[] expectedShape) {
        Entry entry = tensors.get(name);
        if (entry == null) {
            throw new FloodException("tensor " + name + " not found in " + description());
        }
        if (!Arrays.equals(entry.shape(), expectedShape)) {
            throw new FloodException("tensor " + name + " has shape " + Arrays.toString(entry.shape()) + ", expected "
                    + Arrays.toString(expectedShape));
        }
        return entry;
    }

    @Override
    public float[] loadFloats(String name, long... expectedShape) {
        return entry(name, expectedShape).values().clone();
    }

    @Override
    public TensorData loadRaw(String name, long... expectedShape) {
        float[] values = entry(name, expectedShape).values();
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putShort(HalfFloats.floatToBf16(value));
        }
        return new TensorData(name, DType.BF16, expectedShape.clone(), bytes.flip());
    }

    @Override
    public String description() {
        return "in-memory test weights";
    }

    @Override
    public void close() {
    }
}
