package dev.flood.examples.spark;

import java.util.HashMap;
import java.util.Map;

/** {@code --key value} command-line arguments of the Spark examples. */
final class ExampleArgs {

    private final String usage;
    private final Map<String, String> values;

    private ExampleArgs(String usage, Map<String, String> values) {
        this.usage = usage;
        this.values = values;
    }

    static ExampleArgs parse(String usage, String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --key value pairs, got '" + args[i] + "'\nusage: " + usage);
            }
            values.put(args[i].substring(2), args[i + 1]);
        }
        return new ExampleArgs(usage, values);
    }

    String required(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + key + "\nusage: " + usage);
        }
        return value;
    }

    String optional(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    int integer(String key, int defaultValue) {
        return Integer.parseInt(optional(key, String.valueOf(defaultValue)));
    }
}
