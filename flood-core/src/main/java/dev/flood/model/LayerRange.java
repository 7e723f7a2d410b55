package dev.flood.model;

/**
 * The decoder layers {@code first .. end - 1} that one pipeline stage runs (and holds the KV cache of).
 *
 * @param first the first layer, counted from 0 over the whole model
 * @param end   one past the last layer
 */
public record LayerRange(int first, int end) {

    public LayerRange {
        if (first < 0 || end <= first) {
            throw new IllegalArgumentException("a layer range needs 0 <= first < end, got [" + first + ", " + end + ")");
        }
    }

    /** Every layer of a model of {@code numLayers}. */
    public static LayerRange all(int numLayers) {
        return new LayerRange(0, numLayers);
    }

    public int numLayers() {
        return end - first;
    }

    @Override
    public String toString() {
        return "layers " + first + "-" + (end - 1);
    }
}
