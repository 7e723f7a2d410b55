package dev.flood.model;

import dev.flood.config.ModelConfig;
import dev.flood.config.SlidingWindowFields;

/**
 * How each architecture family turns {@code config.json}'s sliding-window fields ({@link SlidingWindowFields}) into
 * a window per layer, as the family's transformers config does. A window of 0 means none. A config whose fields
 * contradict each other (a layer marked sliding with the window off) is refused, naming the fields.
 */
final class SlidingWindows {

    /** Mistral's window when config.json has no {@code sliding_window} key (MistralConfig's default). */
    static final int MISTRAL_DEFAULT = 4096;
    /** Qwen's window when {@code use_sliding_window} is on and config.json has no {@code sliding_window} key. */
    private static final int QWEN_DEFAULT = 4096;

    private SlidingWindows() {
    }

    /** No layer has a window (Llama: transformers' LlamaConfig has no such field and ignores it). */
    static int[] none(ModelConfig config) {
        return new int[config.numLayers()];
    }

    /**
     * Mistral and Mixtral: every layer has {@code sliding_window} when set; {@code whenAbsent} when the key is missing
     * ({@link #MISTRAL_DEFAULT} for Mistral, 0 for Mixtral). {@code use_sliding_window} and {@code layer_types} are
     * not read by these configs.
     */
    static int[] everyLayer(ModelConfig config, int whenAbsent) {
        SlidingWindowFields fields = config.slidingWindow();
        int[] windows = new int[config.numLayers()];
        java.util.Arrays.fill(windows, fields.sizeAbsent() ? whenAbsent : fields.size());
        return windows;
    }

    /**
     * Qwen3-MoE: every layer has the window when {@code use_sliding_window} is on (its config reads neither
     * {@code layer_types} nor {@code max_window_layers}).
     */
    static int[] qwenEveryLayer(ModelConfig config) {
        int[] windows = new int[config.numLayers()];
        java.util.Arrays.fill(windows, qwenWindow(config.slidingWindow()));
        return windows;
    }

    /**
     * Qwen2 and Qwen3: with {@code use_sliding_window} on, the layers that {@code layer_types} marks
     * {@code sliding_attention}, or without {@code layer_types} layers {@code max_window_layers} and up, have the
     * window; the others (and every layer with it off) have none.
     */
    static int[] qwen(ModelConfig config) {
        SlidingWindowFields fields = config.slidingWindow();
        int window = qwenWindow(fields);
        int[] windows = new int[config.numLayers()];
        for (int layer = 0; layer < windows.length; layer++) {
            boolean sliding = fields.layerTypes().isEmpty() ? layer >= fields.maxWindowLayers()
                    : fields.layerTypes().get(layer).equals(SlidingWindowFields.SLIDING_ATTENTION);
            if (sliding && window == 0 && !fields.layerTypes().isEmpty()) {
                String size = fields.size() == 0 ? "null" : String.valueOf(fields.size());
                throw new IllegalArgumentException("'layer_types' marks layer " + layer + " '"
                        + SlidingWindowFields.SLIDING_ATTENTION + "' but the window is off ('use_sliding_window' "
                        + fields.enabled() + ", 'sliding_window' " + size + ")");
            }
            windows[layer] = sliding ? window : 0;
        }
        return windows;
    }

    /** The window a Qwen config turns on: {@code sliding_window} if {@code use_sliding_window}, else none. */
    private static int qwenWindow(SlidingWindowFields fields) {
        if (!fields.enabled()) {
            return 0;
        }
        return fields.sizeAbsent() ? QWEN_DEFAULT : fields.size();
    }
}
