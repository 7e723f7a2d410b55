package dev.flood.model;

import dev.flood.config.ModelConfig;

/**
 * {@code Qwen3ForCausalLM}: Llama with a per-head RMSNorm on queries and keys before rotary, attention biases with
 * {@code attention_bias}, and Qwen2's sliding-window fields.
 */
final class Qwen3 implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        return new DecoderOptions(config.attentionBias(), config.attentionBias(), true,
                LayerOptions.dense(config, SlidingWindows.qwen(config)));
    }
}
