package dev.flood.model;

import dev.flood.api.FloodException;
import java.util.Map;
import java.util.TreeMap;

/** Hugging Face architecture names ({@code config.json}'s {@code architectures[0]}) and the classes that load them. */
public final class ModelRegistry {

    private static final Map<String, Architecture> ARCHITECTURES = new TreeMap<>(Map.of(
            "LlamaForCausalLM", new Llama(),
            "MistralForCausalLM", new Llama(),
            "Qwen2ForCausalLM", new Qwen2(),
            "Qwen3ForCausalLM", new Qwen3()));

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
}
