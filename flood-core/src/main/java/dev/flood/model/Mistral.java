package dev.flood.model;

import dev.flood.config.ModelConfig;

/**
 * {@code MistralForCausalLM}: Llama's decoder without biases (transformers' Mistral has none, whatever
 * {@code attention_bias} says), every layer's attention within {@code sliding_window} (4096 when the key is absent,
 * none when it is null).
 */
final class Mistral implements Architecture {
    @Override
    public DecoderOptions options(ModelConfig config) {
        return new DecoderOptions(false, false, false,
                LayerOptions.dense(config, SlidingWindows.everyLayer(config, SlidingWindows.MISTRAL_DEFAULT)));
    }
}
