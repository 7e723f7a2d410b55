package dev.flood.model;

import java.util.List;

/**
 * The optional parts of a Llama-family decoder, the only thing architectures differ in here.
 *
 * @param qkvBias    whether the q, k and v projections have biases (Qwen2; Llama, Qwen3 and Qwen3-MoE when
 *                   {@code attention_bias})
 * @param outputBias whether the attention's output projection has a bias (Llama, Qwen3 and Qwen3-MoE when
 *                   {@code attention_bias}; never Qwen2)
 * @param qkNorm     whether each query and key head is RMS-normalized before rotary (Qwen3, Qwen3-MoE)
 * @param layers     each layer's sliding window and feed-forward sublayer, one per layer
 */
public record DecoderOptions(boolean qkvBias, boolean outputBias, boolean qkNorm, List<LayerOptions> layers) {

    public DecoderOptions {
        layers = List.copyOf(layers);
    }
}
