package dev.flood.model;

import dev.flood.api.FloodException;
import dev.flood.config.ModelConfig;
import java.util.Map;
import java.util.TreeMap;

/** Hugging Face architecture names ({@code config.json}'s {@code architectures[0]}) and the classes that load them. */
public final class ModelRegistry {

    private static final Map<String, Architecture> ARCHITECTURES = new TreeMap<>(Map.of(
            "LlamaForCausalLM", new Llama(),
            "MistralForCausalLM", new Mistral(),
            "MixtralForCausalLM", new Mixtral(),
            "Qwen2ForCausalLM", new Qwen2(),
            "Qwen3ForCausalLM", new Qwen3(),
            "Qwen3MoeForCausalLM", new Qwen3Moe()));

    private ModelRegistry() {
    }

    public static Architecture architecture(String name) {
        Architecture architecture = ARCHITECTURES.get(name);
        if (architecture == null) {
            throw new FloodException("unsupported architecture '" + name + "' (supported: "
                    + String.join(", ", ARCHITECTURES.keySet()) + ")");
        }
        return architecture;
    }

    /**
     * Fails unless Flood implements {@code config}'s architecture with every option it sets: the message starts
     * with {@code configFile} and names the architectures Flood knows, or the option it does not implement.
     */
    public static void requireSupported(ModelConfig config, String configFile) {
        Architecture architecture;
        try {
            architecture = architecture(config.architecture());
        } catch (FloodException e) {
            throw new FloodException(configFile + ": " + e.getMessage(), e);
        }
        try {
            architecture.options(config);
        } catch (IllegalArgumentException e) {
            throw new FloodException(configFile + ": " + config.architecture() + ": " + e.getMessage(), e);
        }
    }
}
