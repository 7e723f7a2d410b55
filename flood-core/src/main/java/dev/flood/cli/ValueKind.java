package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The type of a sampling setting, read from the command line or from a JSON value. Values are boxed:
 * {@code Integer}, {@code Long}, {@code Double}, {@code Boolean}, {@code List<String>} or {@code List<Integer>}.
 */
enum ValueKind {
    INT, LONG, DOUBLE, FLAG, STRINGS, INTS;

    /**
     * The value of option {@code name} from its command-line words: {@code values} for a repeatable option,
     * {@code single} for a one-valued one; a present flag is true.
     */
    Object fromArgs(String name, List<String> values, String single) throws UsageException {
        return switch (this) {
            case INT -> ParsedArgs.parse(name, single, Integer::valueOf, "an integer");
            case LONG -> ParsedArgs.parse(name, single, Long::valueOf, "an integer");
            case DOUBLE -> ParsedArgs.parse(name, single, ValueKind::finiteDouble, "a number");
            case FLAG -> Boolean.TRUE;
            case STRINGS -> List.copyOf(values);
            case INTS -> {
                List<Integer> ids = new ArrayList<>();
                for (String value : values) {
                    ids.add(ParsedArgs.parse(name, value, Integer::valueOf, "an integer"));
                }
                yield ids;
            }
        };
    }

    /** The value of JSON key {@code key}; a value of the wrong type is an error naming the key and the value. */
    Object fromJson(String key, JsonNode node) {
        return switch (this) {
            case INT -> {
                require(node.isIntegralNumber() && node.canConvertToInt(), key, "an integer", node);
                yield node.intValue();
            }
            case LONG -> {
                require(node.isIntegralNumber() && node.canConvertToLong(), key, "an integer", node);
                yield node.longValue();
            }
            case DOUBLE -> {
                require(node.isNumber(), key, "a number", node);
                yield node.doubleValue();
            }
            case FLAG -> {
                require(node.isBoolean(), key, "true or false", node);
                yield node.booleanValue();
            }
            case STRINGS -> {
                List<String> texts = new ArrayList<>();
                for (JsonNode item : node.isArray() ? node : List.of(node)) {
                    require(item.isTextual(), key, "a string or a list of strings", node);
                    texts.add(item.textValue());
                }
                yield texts;
            }
            case INTS -> {
                List<Integer> ids = new ArrayList<>();
                for (JsonNode item : node.isArray() ? node : List.of(node)) {
                    require(item.isIntegralNumber() && item.canConvertToInt(), key, "an integer or a list of integers", node);
                    ids.add(item.intValue());
                }
                yield ids;
            }
        };
    }

    @SuppressWarnings("unchecked")
    static List<String> strings(Object value) {
        return (List<String>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Integer> ints(Object value) {
        return (List<Integer>) value;
    }

    private static Double finiteDouble(String text) {
        double value = Double.parseDouble(text);
        if (!Double.isFinite(value)) {
            throw new NumberFormatException(text);
        }
        return value;
    }

    private static void require(boolean ok, String key, String what, JsonNode node) {
        if (!ok) {
            throw new IllegalArgumentException(key + " must be " + what + ", got " + node);
        }
    }
}
