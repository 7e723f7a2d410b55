package dev.flood.config;

import java.util.List;

/**
 * The sliding-window fields of a {@code config.json}, as written. What they mean differs by architecture, so the
 * architecture class resolves them into a window per layer: Mistral and Mixtral window every layer when
 * {@code sliding_window} is set (Mistral's default when the key is absent is 4096), Qwen2 and Qwen3 only when
 * {@code use_sliding_window} is true, and then the layers that {@code layer_types} marks (or, without it, layers
 * {@code max_window_layers} and up).
 *
 * @param size            {@code sliding_window}: a query at position p sees keys p - size + 1 .. p; 0 when null or
 *                        absent
 * @param sizeAbsent      whether the key {@code sliding_window} is missing altogether (null counts as present)
 * @param enabled         {@code use_sliding_window}; false when absent
 * @param maxWindowLayers {@code max_window_layers}; 28 when absent (the default of the Qwen configs that read it)
 * @param layerTypes      {@code layer_types}, each {@code full_attention} or {@code sliding_attention}, one per layer;
 *                        empty when absent
 */
public record SlidingWindowFields(int size, boolean sizeAbsent, boolean enabled, int maxWindowLayers,
                                  List<String> layerTypes) {

    public static final String FULL_ATTENTION = "full_attention";
    public static final String SLIDING_ATTENTION = "sliding_attention";

    /** A config with none of the fields. */
    public static final SlidingWindowFields ABSENT = new SlidingWindowFields(0, true, false, 28, List.of());

    public SlidingWindowFields {
        layerTypes = List.copyOf(layerTypes);
        if (size < 0) {
            throw new IllegalArgumentException("sliding_window must be positive, got " + size);
        }
        for (String type : layerTypes) {
            if (!type.equals(FULL_ATTENTION) && !type.equals(SLIDING_ATTENTION)) {
                throw new IllegalArgumentException("layer_types has '" + type + "'; Flood implements "
                        + FULL_ATTENTION + " and " + SLIDING_ATTENTION);
            }
        }
    }
}
