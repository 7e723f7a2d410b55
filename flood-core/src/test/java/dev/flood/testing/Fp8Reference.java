package dev.flood.testing;

import dev.flood.weights.Fp8E4m3;

/**
 * The FP8 quantization of kernels/src/quantize_fp8.cuh on the host, operation for operation: absmax over a row (or
 * a 128-column group, or a 128 x 128 block), 1 where it is 0; scale = absmax / 448; code = e4m3(x * (448 / absmax)).
 * Each step is one float32 operation, so the device's codes and scales match these exactly.
 */
public final class Fp8Reference {

    public static final int GROUP = 128;

    /** Codes and scales of one quantized matrix. */
    public record Quantized(byte[] codes, float[] scales) {

        /** The dequantized values, with {@code scaleOf(i)} the index of element i's scale. */
        public float[] dequantize(java.util.function.IntUnaryOperator scaleOf) {
            float[] values = new float[codes.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = Fp8E4m3.toFloat(codes[i]) * scales[scaleOf.applyAsInt(i)];
            }
            return values;
        }
    }

    private Fp8Reference() {
    }

    /** One scale per row: scales {@code [rows]}. */
    public static Quantized rows(float[] x, int rows, int cols) {
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            scales[r] = quantize(x, codes, r * cols, 1, cols, cols);
        }
        return new Quantized(codes, scales);
    }

    /** One scale per row and 128-column group ({@code cols % 128 == 0}): scales {@code [cols / 128, rows]}. */
    public static Quantized groups(float[] x, int rows, int cols) {
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * (cols / GROUP)];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / GROUP; g++) {
                scales[g * rows + r] = quantize(x, codes, r * cols + g * GROUP, 1, GROUP, cols);
            }
        }
        return new Quantized(codes, scales);
    }

    /** One scale per 128 x 128 block (edge blocks partial): scales {@code [ceil(rows/128), ceil(cols/128)]}. */
    public static Quantized blocks(float[] w, int rows, int cols) {
        int blockRows = (rows + GROUP - 1) / GROUP;
        int blockCols = (cols + GROUP - 1) / GROUP;
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[blockRows * blockCols];
        for (int br = 0; br < blockRows; br++) {
            for (int bc = 0; bc < blockCols; bc++) {
                int height = Math.min(GROUP, rows - br * GROUP);
                int width = Math.min(GROUP, cols - bc * GROUP);
                scales[br * blockCols + bc] = quantize(w, codes, br * GROUP * cols + bc * GROUP, height, width, cols);
            }
        }
        return new Quantized(codes, scales);
    }

    /** One scale for the whole matrix: scales {@code [1]}. */
    public static Quantized tensor(float[] w, int rows, int cols) {
        byte[] codes = new byte[rows * cols];
        return new Quantized(codes, new float[] {quantize(w, codes, 0, rows, cols, cols)});
    }

    /** Quantizes the {@code height x width} region at {@code first} (row stride {@code stride}); returns its scale. */
    private static float quantize(float[] x, byte[] codes, int first, int height, int width, int stride) {
        float absmax = 0;
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                absmax = Math.max(absmax, Math.abs(x[first + r * stride + c]));
            }
        }
        if (absmax == 0) {
            absmax = 1;
        }
        float inverse = Fp8E4m3.MAX / absmax;
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                int i = first + r * stride + c;
                codes[i] = Fp8E4m3.fromFloat(x[i] * inverse);
            }
        }
        return absmax / Fp8E4m3.MAX;
    }
}
