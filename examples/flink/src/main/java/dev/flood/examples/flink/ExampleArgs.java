package dev.flood.examples.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The example's command line, read in this one place: {@code --model DIR} (default: the demo model in
 * models/flood-demo), {@code --input FILE} (one prompt per line; default: a built-in list), {@code --events N}
 * (default 24), {@code --rate EVENTS_PER_SECOND} (default 8), {@code --max-tokens N} (default 16, the name
 * {@code ./flood generate} gives it), {@code --mode sql|datastream|both} (default both).
 */
record ExampleArgs(Path model, List<String> prompts, long numEvents, double eventsPerSecond, int maxNewTokens,
                   String mode) {

    ExampleArgs {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts: the input file has no non-blank line");
        }
        if (numEvents < 1 || !(eventsPerSecond > 0) || maxNewTokens < 1) {
            throw new IllegalArgumentException("--events, --rate and --max-tokens must be positive, got "
                    + numEvents + ", " + eventsPerSecond + ", " + maxNewTokens);
        }
        if (!List.of("sql", "datastream", "both").contains(mode)) {
            throw new IllegalArgumentException("--mode must be sql, datastream or both, got '" + mode + "'");
        }
    }

    static ExampleArgs parse(String[] args) throws IOException {
        Path model = null;
        List<String> prompts = PromptSource.BUILT_IN;
        long numEvents = 24;
        double rate = 8;
        int maxNewTokens = 16;
        String mode = "both";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i++]) {
                case "--model" -> model = Path.of(value);
                case "--input" -> prompts = Files.readAllLines(Path.of(value)).stream().filter(l -> !l.isBlank()).toList();
                case "--events" -> numEvents = Long.parseLong(value);
                case "--rate" -> rate = Double.parseDouble(value);
                case "--max-tokens" -> maxNewTokens = Integer.parseInt(value);
                case "--mode" -> mode = value;
                default -> throw new IllegalArgumentException("unknown argument " + args[i - 1]
                        + " (known: --model, --input, --events, --rate, --max-tokens, --mode)");
            }
        }
        if (model == null) {
            // the demo model that ships with Flood, the example being run from the repository root
            model = Path.of("models", "flood-demo");
            if (!Files.isDirectory(model)) {
                throw new IllegalArgumentException("no --model DIR given and no models/flood-demo here");
            }
        }
        return new ExampleArgs(model.toAbsolutePath(), prompts, numEvents, rate, maxNewTokens, mode);
    }
}
