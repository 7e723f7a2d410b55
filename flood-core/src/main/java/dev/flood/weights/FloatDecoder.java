package dev.flood.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * Widens stored tensor bytes (BF16, F16, F32 little-endian, or raw F8_E4M3 codes without their scales) to
 * float32, in parallel {@link ParallelChunks}
 * for large inputs; each element is converted on its own, so the result does not depend on the thread count.
 */
final class FloatDecoder {

    private FloatDecoder() {
    }

    /**
     * Converts all of {@code src} (position 0 to limit, a whole number of {@code dtype} elements) into
     * {@code dst[dstOffset ...]}.
     */
    static void decode(ByteBuffer src, DType dtype, float[] dst, int dstOffset) {
        int numElements = src.limit() / dtype.bytes();
        ParallelChunks.forEach(numElements, (first, count) -> decodeRange(src, dtype, first, count, dst, dstOffset));
    }

    /** Elements {@code [first, first + count)} of {@code src} into {@code dst[dstOffset + first ...]}. */
    private static void decodeRange(ByteBuffer src, DType dtype, int first, int count, float[] dst, int dstOffset) {
        // A slice of its own per task: slices share the bytes but not the position, and reset the byte order.
        ByteBuffer bytes = src.slice(first * dtype.bytes(), count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int out = dstOffset + first;
        switch (dtype) {
            case F32 -> bytes.asFloatBuffer().get(dst, out, count);
            case BF16 -> {
                ShortBuffer halves = bytes.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    dst[out + i] = HalfFloats.bf16ToFloat(halves.get(i));
                }
            }
            case F16 -> {
                ShortBuffer halves = bytes.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    dst[out + i] = HalfFloats.f16ToFloat(halves.get(i));
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < count; i++) {
                    dst[out + i] = Fp8E4m3.toFloat(bytes.get(i));
                }
            }
        }
    }
}
