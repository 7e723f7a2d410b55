package dev.flood.model;

import dev.flood.config.ModelConfig;

/**
 * {@code LlamaForCausalLM}: biases on the q, k, v and output projections only with {@code attention_bias}; no
 * sliding window (LlamaConfig has none).
 */
final class Llama implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        return new DecoderOptions(config.attentionBias(), config.attentionBias(), false,
                LayerOptions.dense(config, SlidingWindows.none(config)));
    }
}
