package dev.flood.weights;

/**
 * A weight stored in FP8: E4M3 codes {@code [rows, cols]} row-major (in {@code codes}, possibly memory-mapped:
 * read it before the source closes) and float32 scales laid out as {@code scaling} says; element {@code (r, c)} is
 * {@code Fp8E4m3.toFloat(code) * scales[scaling.scaleIndex(r, c, cols)]}.
 */
public record Fp8Tensor(TensorData codes, float[] scales, Fp8Scaling scaling) {

    public Fp8Tensor {
        if (codes.dtype() != DType.F8_E4M3 || codes.shape().length != 2) {
            throw new IllegalArgumentException("FP8 codes must be a 2-D F8_E4M3 tensor, got " + codes.dtype() + " "
                    + Shapes.format(codes.shape()));
        }
        int expected = scaling.scaleCount(codes.shape()[0], codes.shape()[1]);
        if (scales.length != expected) {
            throw new IllegalArgumentException("tensor " + codes.name() + ": " + scaling + " scaling of "
                    + Shapes.format(codes.shape()) + " needs " + expected + " scales, got " + scales.length);
        }
    }

    public long rows() {
        return codes.shape()[0];
    }

    public long cols() {
        return codes.shape()[1];
    }

    /** The weight's values as float32, row-major. */
    public float[] dequantize() {
        long cols = cols();
        float[] values = new float[Shapes.arrayLength(codes.name(), "FP8 weights", codes.shape())];
        ParallelChunks.forEach(values.length, (first, count) -> {
            for (int i = first; i < first + count; i++) {
                values[i] = Fp8E4m3.toFloat(codes.data().get(i)) * scales[scaling.scaleIndex(i / cols, i % cols, cols)];
            }
        });
        return values;
    }
}
