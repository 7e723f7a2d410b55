package dev.flood.cli;

import java.util.Objects;

/**
 * What one input row asks the engine to run: the text read from its prompt column, or why it cannot run. Exactly
 * one of {@code text} and {@code error} is non-null.
 *
 * @param row   the row, whose columns go to the output with the result
 * @param text  the prompt (generate) or the text to score (score)
 * @param error why the row cannot run, without its location
 */
record RowPrompt(InputRow row, String text, String error) {

    RowPrompt {
        Objects.requireNonNull(row, "row");
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException(row.location() + ": give either a text or an error");
        }
    }

    static RowPrompt of(InputRow row, String text) {
        return new RowPrompt(row, text, null);
    }

    static RowPrompt failed(InputRow row, String error) {
        return new RowPrompt(row, null, error);
    }
}
