package dev.flood.api;

import java.util.List;
import java.util.Objects;

/**
 * What shape a generation's text must take. At every step the engine masks the tokens that cannot continue a
 * valid output before sampling, and allows EOS only where the output is complete; JSON is written without
 * whitespace. A format the engine cannot enforce exactly (a regex with lookaround, a schema keyword it does not
 * support, an automaton past its bounds) is refused as that request's error.
 */
public sealed interface ResponseFormat {

    /**
     * JSON text valid under the schema (JSON Schema, given as JSON text); see the documentation for the keywords
     * supported. A result whose output is cut before the JSON closes gets an error, never a partial value.
     */
    record JsonSchema(String schema) implements ResponseFormat {
        public JsonSchema {
            Objects.requireNonNull(schema, "schema");
        }
    }

    /** Text the whole regular expression matches. */
    record Regex(String pattern) implements ResponseFormat {
        public Regex {
            Objects.requireNonNull(pattern, "pattern");
        }
    }

    /** Exactly one of the given texts. */
    record Choice(List<String> choices) implements ResponseFormat {
        public Choice {
            choices = List.copyOf(Objects.requireNonNull(choices, "choices"));
            if (choices.isEmpty()) {
                throw new IllegalArgumentException("a choice needs at least one option");
            }
        }
    }

    static ResponseFormat jsonSchema(String schema) {
        return new JsonSchema(schema);
    }

    static ResponseFormat regex(String pattern) {
        return new Regex(pattern);
    }

    static ResponseFormat choice(List<String> choices) {
        return new Choice(choices);
    }
}
