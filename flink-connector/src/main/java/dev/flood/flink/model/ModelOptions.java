package dev.flood.flink.model;

import dev.flood.flink.FloodOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.api.ValidationException;

/**
 * The options of a {@code CREATE MODEL ... WITH ('provider' = 'flood', ...)}: every {@link FloodOptions} key
 * without its {@code flood.} prefix ({@code 'model.path'}, {@code 'max-new-tokens'}, {@code 'temperature'}...),
 * with the same values and defaults. Only {@code model.path} is required. They take precedence over the job's
 * {@code flood.*} parameters.
 */
@Internal
final class ModelOptions {

    /** The key Flink reads to pick the provider; not one of Flood's. */
    static final String PROVIDER = "provider";
    private static final String PREFIX = "flood.";

    /** Model option key to Flood option key, in {@link FloodOptions#ALL}'s order. */
    private static final Map<String, String> KEYS = keys();

    private ModelOptions() {
    }

    /** The model options as Flink declares them (typed as strings: Flood's settings check the values). */
    static Set<ConfigOption<?>> declared(boolean required) {
        return KEYS.entrySet().stream()
                .filter(e -> e.getValue().equals(FloodOptions.MODEL_PATH.key()) == required)
                .map(e -> ConfigOptions.key(e.getKey()).stringType().noDefaultValue()
                        .withDescription(description(e.getValue())))
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    /** The model's options as {@code flood.*} keys; an unknown key fails, naming the known ones. */
    static Map<String, String> toFloodOptions(Map<String, String> modelOptions) {
        Map<String, String> flood = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : modelOptions.entrySet()) {
            if (e.getKey().equals(PROVIDER)) {
                continue;
            }
            String key = KEYS.get(e.getKey());
            if (key == null) {
                throw new ValidationException("unknown option '" + e.getKey() + "' of a Flood model (known: "
                        + new TreeSet<>(KEYS.keySet()) + ")");
            }
            flood.put(key, e.getValue());
        }
        if (!flood.containsKey(FloodOptions.MODEL_PATH.key())) {
            throw new ValidationException("a Flood model needs 'model.path' (a Hugging Face model folder as seen "
                    + "from every TaskManager)");
        }
        return flood;
    }

    private static String description(String floodKey) {
        return FloodOptions.ALL.stream().filter(o -> o.key().equals(floodKey)).findFirst().orElseThrow()
                .description().toString();
    }

    private static Map<String, String> keys() {
        Map<String, String> keys = new LinkedHashMap<>();
        for (ConfigOption<?> option : FloodOptions.ALL) {
            keys.put(option.key().substring(PREFIX.length()), option.key());
        }
        return keys;
    }
}
