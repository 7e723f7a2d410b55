package dev.flood.weights;

/**
 * How the scales of an FP8 weight {@code [rows, cols]} (rows are output features) are laid out; a weight's value is
 * its E4M3 code's value times its scale.
 */
public enum Fp8Scaling {
    /** One scale per 128 x 128 block: {@code [ceil(rows / 128), ceil(cols / 128)]} row-major (Hugging Face fp8). */
    BLOCK_128,
    /** One scale per row (output channel): {@code [rows]} (compressed-tensors channel strategy, and Flood's own). */
    PER_CHANNEL,
    /** One scale for the whole weight: {@code [1]} (compressed-tensors tensor strategy). */
    PER_TENSOR;

    /** The side of a {@link #BLOCK_128} block. */
    public static final int BLOCK = 128;

    /** How many scales a weight of this shape has. */
    public int scaleCount(long rows, long cols) {
        return switch (this) {
            case BLOCK_128 -> Math.toIntExact(ceilDiv(rows, BLOCK) * ceilDiv(cols, BLOCK));
            case PER_CHANNEL -> Math.toIntExact(rows);
            case PER_TENSOR -> 1;
        };
    }

    /** The index into the scales of element {@code (row, col)} of a weight with {@code cols} columns. */
    public int scaleIndex(long row, long col, long cols) {
        return switch (this) {
            case BLOCK_128 -> Math.toIntExact(row / BLOCK * ceilDiv(cols, BLOCK) + col / BLOCK);
            case PER_CHANNEL -> Math.toIntExact(row);
            case PER_TENSOR -> 0;
        };
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
