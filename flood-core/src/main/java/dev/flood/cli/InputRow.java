package dev.flood.cli;

import java.util.Objects;

/**
 * One row of the input as read: where it is, and its columns or why it could not be read. Exactly one of
 * {@code columns} and {@code error} is non-null.
 *
 * @param location where the row is, for messages: {@code line 3}, {@code row 7}, {@code --prompt 2},
 *                 {@code part-00001.parquet row 7}
 * @param columns  every column of the row, as read
 * @param error    why the row could not be read (a line that is not JSON, a CSV record of the wrong width),
 *                 without its location
 */
record InputRow(String location, RowColumns columns, String error) {

    InputRow {
        Objects.requireNonNull(location, "location");
        if ((columns == null) == (error == null)) {
            throw new IllegalArgumentException(location + ": give either the columns or an error");
        }
    }

    static InputRow of(String location, RowColumns columns) {
        return new InputRow(location, columns, null);
    }

    static InputRow unreadable(String location, String error) {
        return new InputRow(location, null, error);
    }

    /** A message about this row: its location, then {@code message}. */
    String located(String message) {
        return location + ": " + message;
    }
}
