package dev.flood.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The options given to one command, checked against its table of {@link Option}s: every word is a known option,
 * every value option has its value, a single-valued option is given at most once. Typed accessors turn values
 * into numbers and paths and name the option when a value is malformed.
 */
final class ParsedArgs {

    private final Map<String, Option> table;
    /** Option name to its values in order; a flag that is present maps to an empty list. */
    private final Map<String, List<String>> values;
    private final boolean helpRequested;

    private ParsedArgs(Map<String, Option> table, Map<String, List<String>> values, boolean helpRequested) {
        this.table = table;
        this.values = values;
        this.helpRequested = helpRequested;
    }

    /** Parses {@code args} against {@code options}; {@code --help} or {@code -h} anywhere stops parsing. */
    static ParsedArgs parse(List<Option> options, List<String> args) throws UsageException {
        Map<String, Option> table = new LinkedHashMap<>();
        for (Option option : options) {
            if (table.put(option.name(), option) != null) {
                throw new IllegalStateException("option --" + option.name() + " is declared twice");
            }
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String word = args.get(i);
            if (word.equals("--help") || word.equals("-h")) {
                return new ParsedArgs(table, values, true);
            }
            if (!word.startsWith("--") || word.length() == 2) {
                throw new UsageException("unexpected argument '" + word + "' (options start with --)");
            }
            int equals = word.indexOf('=');
            String name = word.substring(2, equals < 0 ? word.length() : equals);
            Option option = table.get(name);
            if (option == null) {
                throw new UsageException("unknown option --" + name);
            }
            List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
            if (option.arity() == Option.Arity.FLAG) {
                if (equals >= 0) {
                    throw new UsageException("--" + name + " is a flag and takes no value");
                }
            } else {
                String value;
                if (equals >= 0) {
                    value = word.substring(equals + 1);
                } else if (i + 1 < args.size() && !isOption(table, args.get(i + 1))) {
                    value = args.get(++i);
                } else {
                    throw new UsageException("--" + name + " needs a value: " + option.synopsis());
                }
                if (option.arity() == Option.Arity.ONE && !list.isEmpty()) {
                    throw new UsageException("--" + name + " is given more than once");
                }
                list.add(value);
            }
        }
        return new ParsedArgs(table, values, false);
    }

    /** A following word is taken as a value unless it is one of the command's options (or help). */
    private static boolean isOption(Map<String, Option> table, String word) {
        if (word.equals("--help") || word.equals("-h")) {
            return true;
        }
        if (!word.startsWith("--")) {
            return false;
        }
        int equals = word.indexOf('=');
        return table.containsKey(word.substring(2, equals < 0 ? word.length() : equals));
    }

    boolean helpRequested() {
        return helpRequested;
    }

    boolean has(String name) {
        return values.containsKey(declared(name).name());
    }

    boolean flag(String name) {
        if (declared(name).arity() != Option.Arity.FLAG) {
            throw new IllegalStateException("option --" + name + " is not a flag");
        }
        return has(name);
    }

    /** The option's value, or {@code fallback} when it is absent. */
    String string(String name, String fallback) {
        List<String> list = values.get(declared(name).name());
        return list == null || list.isEmpty() ? fallback : list.get(0);
    }

    /** The option's value; a usage error naming the option when it is absent. */
    String required(String name) throws UsageException {
        Option option = declared(name);
        if (!has(name)) {
            throw new UsageException("missing " + option.synopsis());
        }
        return string(name, null);
    }

    /** Every value of a repeatable option, in order; empty when absent. */
    List<String> list(String name) {
        return List.copyOf(values.getOrDefault(declared(name).name(), List.of()));
    }

    Path path(String name) {
        String value = string(name, null);
        return value == null ? null : Path.of(value);
    }

    /** The option as an int of at least {@code min}, or {@code fallback} when absent. */
    int intValue(String name, int fallback, int min) throws UsageException {
        if (!has(name)) {
            return fallback;
        }
        int value = parse(name, string(name, null), Integer::parseInt, "an integer");
        if (value < min) {
            throw new UsageException("--" + name + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    /** One of {@code choices} (case-insensitive), or {@code fallback} when absent. */
    String choice(String name, String fallback, List<String> choices) throws UsageException {
        String value = string(name, fallback).toLowerCase(Locale.ROOT);
        if (!choices.contains(value)) {
            throw new UsageException("--" + name + " must be one of " + String.join(", ", choices)
                    + "; got '" + string(name, fallback) + "'");
        }
        return value;
    }

    /** Parses one value of option {@code name}; a malformed value is a usage error naming the option. */
    static <T> T parse(String name, String value, Function<String, T> parser, String what) throws UsageException {
        try {
            return parser.apply(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects " + what + ", got '" + value + "'");
        }
    }

    private Option declared(String name) {
        Option option = table.get(name);
        if (option == null) {
            throw new IllegalStateException("option --" + name + " is not declared for this command");
        }
        return option;
    }
}
