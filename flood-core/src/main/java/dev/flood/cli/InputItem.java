package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One prompt or text to run, or the reason its input could not be read. Exactly one of {@code text} and
 * {@code error} is non-null.
 *
 * @param location  where it came from, for messages: {@code line 3}, {@code row 7}, {@code --prompt 2}
 * @param text      the prompt or text
 * @param line      the whole JSON object of a JSONL line (for per-line sampling overrides), else null
 * @param error     why the input was not usable, without the location
 */
record InputItem(String location, String text, JsonNode line, String error) {

    InputItem {
        Objects.requireNonNull(location, "location");
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException(location + ": give either a text or an error");
        }
    }

    static InputItem of(String location, String text, JsonNode line) {
        return new InputItem(location, text, line, null);
    }

    static InputItem failed(String location, String error) {
        return new InputItem(location, null, null, error);
    }

    /** The message of a failure of this item: its location, then {@code error}. */
    String located(String error) {
        return location + ": " + error;
    }
}
