package dev.flood.cli;

import java.io.Closeable;
import java.io.IOException;

/** Rows read one at a time, so that an input of any size streams through. */
interface InputReader extends Closeable {

    /** The next row, or null at the end of the input. */
    InputRow next() throws IOException;

    /** How many rows the input holds, known before reading (for progress). */
    long count();
}
