package dev.flood.model;

/**
 * The optional parts of a Llama-family decoder layer, the only thing architectures differ in here.
 *
 * @param qkvBias whether the q, k and v projections have biases (Qwen2; Llama when {@code attention_bias})
 * @param qkNorm  whether each query and key head is RMS-normalized before rotary (Qwen3)
 */
public record DecoderOptions(boolean qkvBias, boolean qkNorm) {
}
