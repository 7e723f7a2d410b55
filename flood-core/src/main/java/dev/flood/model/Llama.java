package dev.flood.model;

import dev.flood.config.ModelConfig;

/** {@code LlamaForCausalLM} (and {@code MistralForCausalLM}, the same decoder): q/k/v biases only if configured. */
final class Llama implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        return new DecoderOptions(config.attentionBias(), false);
    }
}
