package dev.flood.model;

import dev.flood.config.ModelConfig;

/**
 * {@code Qwen2ForCausalLM}: Llama with biases on the q, k and v projections (never on the output projection), and
 * with {@code use_sliding_window} a window on the layers {@code layer_types} or {@code max_window_layers} picks.
 */
final class Qwen2 implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        return new DecoderOptions(true, false, false, LayerOptions.dense(config, SlidingWindows.qwen(config)));
    }
}
