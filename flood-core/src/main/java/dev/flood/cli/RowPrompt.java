package dev.flood.cli;

import dev.flood.api.ChatMessage;
import java.util.List;
import java.util.Objects;

/**
 * What one input row asks the engine to run: the text read from its prompt column, or why it cannot run. Exactly
 * one of {@code text} and {@code error} is non-null; a chat row (a JSON Lines row without the prompt column but with
 * a {@code messages} array) has {@code messages} too, and its {@code text} is their JSON.
 *
 * @param row      the row, whose columns go to the output with the result
 * @param text     the prompt (generate) or the text to score (score)
 * @param messages the chat messages of a row with a {@code messages} array, else null
 * @param error    why the row cannot run, without its location
 */
record RowPrompt(InputRow row, String text, List<ChatMessage> messages, String error) {

    RowPrompt {
        Objects.requireNonNull(row, "row");
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException(row.location() + ": give either a text or an error");
        }
    }

    static RowPrompt of(InputRow row, String text) {
        return new RowPrompt(row, text, null, null);
    }

    static RowPrompt ofMessages(InputRow row, String json, List<ChatMessage> messages) {
        return new RowPrompt(row, json, List.copyOf(messages), null);
    }

    static RowPrompt failed(InputRow row, String error) {
        return new RowPrompt(row, null, null, error);
    }
}
