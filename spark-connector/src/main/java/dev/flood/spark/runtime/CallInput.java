package dev.flood.spark.runtime;

import java.util.List;

/**
 * One row's data arguments of one call.
 *
 * @param text    the prompt or text; null when the row's value is null
 * @param choices flood_score's candidate continuations (null for the other functions, or a null array)
 */
public record CallInput(String text, List<String> choices) {

    public static CallInput of(String text) {
        return new CallInput(text, null);
    }
}
