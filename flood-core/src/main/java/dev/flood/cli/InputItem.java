package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flood.api.ChatMessage;
import java.util.List;
import java.util.Objects;

/**
 * One prompt or text to run, or the reason its input could not be read. Exactly one of {@code text} and
 * {@code error} is non-null; a chat item has {@code messages} too, and its {@code text} is their JSON (what the
 * output record shows as its prompt).
 *
 * @param location  where it came from, for messages: {@code line 3}, {@code row 7}, {@code --prompt 2}
 * @param text      the prompt or text
 * @param messages  the chat messages of a JSONL line with a {@code messages} array, else null
 * @param line      the whole JSON object of a JSONL line (for per-line sampling overrides), else null
 * @param error     why the input was not usable, without the location
 */
record InputItem(String location, String text, List<ChatMessage> messages, JsonNode line, String error) {

    InputItem {
        Objects.requireNonNull(location, "location");
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException(location + ": give either a text or an error");
        }
    }

    static InputItem of(String location, String text, JsonNode line) {
        return new InputItem(location, text, null, line, null);
    }

    static InputItem ofMessages(String location, List<ChatMessage> messages, JsonNode line) {
        return new InputItem(location, line.get(JsonLinesInput.MESSAGES).toString(), List.copyOf(messages), line, null);
    }

    static InputItem failed(String location, String error) {
        return new InputItem(location, null, null, null, error);
    }

    /** The message of a failure of this item: its location, then {@code error}. */
    String located(String error) {
        return location + ": " + error;
    }
}
