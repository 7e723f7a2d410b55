package dev.flood.backend.cuda;

import dev.flood.backend.Weight;
import dev.flood.weights.DType;

/**
 * A linear weight {@code [rows, cols]} (rows = output features) in FP8 on the device: E4M3 codes row-major and
 * float32 scales, one per row ({@link Layout#PER_CHANNEL}) or one per 128 x 128 block ({@link Layout#BLOCK_128}, laid
 * out {@code [rows / 128, paddedColumnBlocks()]}, column blocks contiguous and padded to a multiple of 4, as
 * cuBLASLt's 128 x 128 block scaling reads them). A weight's value is its code's value times its scale.
 */
record Fp8Weight(DeviceAllocation codes, DeviceAllocation scales, int rows, int cols, Layout layout) implements Weight {

    /** How the scales are laid out, and so how activations are quantized for the product. */
    enum Layout {
        /** One scale per output channel; activations per token. */
        PER_CHANNEL,
        /** One scale per 128 x 128 block; activations per token and 128-column group. */
        BLOCK_128
    }

    static final int BLOCK = 128;

    Fp8Weight {
        if (layout == Layout.BLOCK_128 && (rows % BLOCK != 0 || cols % BLOCK != 0)) {
            throw new IllegalArgumentException("128 x 128 block scales need whole blocks, got [" + rows + ", " + cols
                    + "]");
        }
    }

    /** Column blocks per row of {@link Layout#BLOCK_128} scales: {@code cols / 128} rounded up to a multiple of 4. */
    static int paddedColumnBlocks(int cols) {
        return (cols / BLOCK + 3) / 4 * 4;
    }

    /** Scales a weight of this shape and layout has on the device, padding included. */
    static long scaleCount(int rows, int cols, Layout layout) {
        return layout == Layout.PER_CHANNEL ? rows : (long) rows / BLOCK * paddedColumnBlocks(cols);
    }

    @Override
    public DType storageType() {
        return DType.F8_E4M3;
    }
}
