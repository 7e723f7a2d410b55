package dev.flood.model;

import dev.flood.config.ModelConfig;

/**
 * One Hugging Face architecture: which optional layer parts it has and where its checkpoint keeps each weight.
 * Adding an architecture is one class implementing this plus one line in {@link ModelRegistry}.
 */
public interface Architecture {

    /**
     * What this architecture's layers compute for {@code config}, read as the architecture's transformers config
     * reads it. Fails with an IllegalArgumentException naming the option when {@code config} asks for something
     * Flood does not implement.
     */
    DecoderOptions options(ModelConfig config);

    default WeightNames weightNames() {
        return WeightNames.LLAMA;
    }
}
