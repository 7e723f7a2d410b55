package dev.flood.cli;

import java.io.PrintStream;
import java.util.Objects;

/**
 * Where a command writes: results to {@code out}, progress and the summary to {@code err}.
 *
 * @param terminal whether {@code err} is a terminal, so that progress may redraw one line with {@code \r}
 */
record Streams(PrintStream out, PrintStream err, boolean terminal) {

    Streams {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
    }
}
