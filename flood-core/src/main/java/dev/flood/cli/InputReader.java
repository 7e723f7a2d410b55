package dev.flood.cli;

import java.io.Closeable;
import java.io.IOException;

/** Items read one at a time from an input file, so that a file of any size streams through. */
interface InputReader extends Closeable {

    /** The next item, or null at the end of the input. */
    InputItem next() throws IOException;

    /** How many items the input holds, known before reading (for progress). */
    long count();
}
