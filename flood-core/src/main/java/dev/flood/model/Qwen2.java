package dev.flood.model;

import dev.flood.config.ModelConfig;

/** {@code Qwen2ForCausalLM}: Llama with biases on the q, k and v projections. */
final class Qwen2 implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        return new DecoderOptions(true, false);
    }
}
