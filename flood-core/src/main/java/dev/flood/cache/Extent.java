package dev.flood.cache;

/**
 * A run of consecutive slots of the KV cache slab: slots {@code [start, start + length)}. Slot s holds one token's
 * keys and values at row s of every layer's K and V slabs ({@code [capacityTokens, numKvHeads, headDim]}).
 *
 * @param start  first slot, >= 0
 * @param length slots in the run, >= 1
 */
public record Extent(int start, int length) {

    public Extent {
        if (start < 0) {
            throw new IllegalArgumentException("extent start must be >= 0, got " + start);
        }
        if (length < 1) {
            throw new IllegalArgumentException("extent length must be >= 1, got " + length + " (start " + start + ")");
        }
        if ((long) start + length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "extent [" + start + ", " + start + " + " + length + ") ends past Integer.MAX_VALUE");
        }
    }

    /** The slot just past the run (exclusive end). */
    public int end() {
        return start + length;
    }
}
