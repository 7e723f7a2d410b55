package dev.flood.cli;

import java.util.Objects;

/**
 * One command-line option, {@code --name VALUE} (also {@code --name=VALUE}) or a flag {@code --name}. A command's
 * options are a list of these; parsing ({@link ParsedArgs}) and the help text ({@link Usage}) both read that list.
 *
 * @param name      the long name without its dashes, e.g. {@code max-tokens}
 * @param valueName the placeholder shown in help, e.g. {@code N}; null for a flag
 * @param arity     flag, one value, or repeatable
 * @param section   the heading the option is listed under in help
 * @param help      one line of help
 */
record Option(String name, String valueName, Arity arity, String section, String help) {

    enum Arity { FLAG, ONE, MANY }

    Option {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arity, "arity");
        Objects.requireNonNull(section, "section");
        Objects.requireNonNull(help, "help");
        if ((arity == Arity.FLAG) != (valueName == null)) {
            throw new IllegalArgumentException("--" + name + ": a flag has no value name, a value option needs one");
        }
    }

    static Option flag(String section, String name, String help) {
        return new Option(name, null, Arity.FLAG, section, help);
    }

    static Option value(String section, String name, String valueName, String help) {
        return new Option(name, valueName, Arity.ONE, section, help);
    }

    static Option repeated(String section, String name, String valueName, String help) {
        return new Option(name, valueName, Arity.MANY, section, help);
    }

    /** How the option is written in help: {@code --max-tokens N}, {@code --stop TEXT...}, {@code --json}. */
    String synopsis() {
        return switch (arity) {
            case FLAG -> "--" + name;
            case ONE -> "--" + name + " " + valueName;
            case MANY -> "--" + name + " " + valueName + "...";
        };
    }
}
