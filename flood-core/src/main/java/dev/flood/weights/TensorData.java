package dev.flood.weights;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One tensor's stored bytes: {@code data} holds {@code product(shape)} elements of {@code dtype}, little-endian,
 * row-major; position 0 to limit. The buffer may be a slice of a memory-mapped file: read it, do not keep it
 * past the source's {@link WeightSource#close()}.
 */
public record TensorData(String name, DType dtype, long[] shape, ByteBuffer data) {

    public long numElements() {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }
}
