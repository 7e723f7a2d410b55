package dev.flood.spark.runtime;

import java.util.List;

/**
 * One row's data arguments of one call.
 *
 * @param text     the prompt or text; null when the row's value is null or the prompt is given as token ids
 * @param tokenIds flood_generate's prompt as token ids (an {@code array<int>} column), else null
 * @param choices  flood_score's candidate continuations (null for the other functions, or a null array)
 * @param key      the row's value of the column that {@code key_column} names, as a string; null without one
 */
public record CallInput(String text, List<Integer> tokenIds, List<String> choices, String key) {

    public static CallInput of(String text) {
        return new CallInput(text, null, null, null);
    }

    /** Whether the prompt was given as token ids. */
    public boolean isTokens() {
        return tokenIds != null;
    }
}
