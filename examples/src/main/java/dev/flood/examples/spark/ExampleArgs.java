package dev.flood.examples.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** {@code --key value} command-line arguments of the Spark examples. */
final class ExampleArgs {

    /** The demo model's folder, relative to the repository root. */
    static final String DEMO_MODEL = "models/flood-demo";

    /** An option in a usage line: {@code --max-tokens}. */
    private static final Pattern OPTION = Pattern.compile("--([a-z][a-z-]*)");

    private final String usage;
    private final Map<String, String> values;

    private ExampleArgs(String usage, Map<String, String> values) {
        this.usage = usage;
        this.values = values;
    }

    /**
     * Reads {@code --key value} pairs; the keys {@code usage} names are the only ones taken, so that a mistyped
     * option is refused rather than silently left at its default.
     */
    static ExampleArgs parse(String usage, String[] args) {
        Set<String> known = OPTION.matcher(usage).results().map(m -> m.group(1)).collect(Collectors.toSet());
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --key value pairs, got '" + args[i] + "'\nusage: " + usage);
            }
            String key = args[i].substring(2);
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option --" + key + "\nusage: " + usage);
            }
            values.put(key, args[i + 1]);
        }
        return new ExampleArgs(usage, values);
    }

    /**
     * The {@code --model} folder, or the demo model that ships with Flood ({@code models/flood-demo}, the examples
     * being run from the repository root) when none is given.
     */
    String model() {
        String given = values.get("model");
        if (given != null) {
            return given;
        }
        if (!Files.isDirectory(Path.of(DEMO_MODEL))) {
            throw new IllegalArgumentException("no --model given and no " + DEMO_MODEL + " here\nusage: " + usage);
        }
        return DEMO_MODEL;
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
