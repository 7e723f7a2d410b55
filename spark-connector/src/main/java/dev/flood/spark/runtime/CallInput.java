package dev.flood.spark.runtime;

import java.util.List;

/**
 * One row's data arguments of one call.
 *
 * @param text     the prompt or text; null when the row's value is null, or the prompt is token ids or messages
 * @param tokenIds flood_generate's prompt as token ids (an {@code array<int>} column), else null
 * @param messages flood_chat's conversation as read from the row (null for the other functions, or a null
 *                 array); an element or its parts may be null, which fails the row with the reason
 * @param choices  flood_score's candidate continuations (null for the other functions, or a null array)
 * @param key      the row's value of the column that {@code key_column} names, as a string; null without one
 */
public record CallInput(String text, List<Integer> tokenIds, List<Message> messages, List<String> choices,
                        String key) {

    /** One element of flood_chat's messages array, either part possibly null. */
    public record Message(String role, String content) {
    }

    public static CallInput of(String text) {
        return new CallInput(text, null, null, null, null);
    }

    /** Whether the prompt was given as token ids. */
    public boolean isTokens() {
        return tokenIds != null;
    }
}
