package dev.flood.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * How many rows a command ran and how many failed, and the exit code that follows: {@link Main#OK} when every row
 * ran or only some failed (their number and the first error are said), {@link Main#FAILED} when every row failed.
 * An input without rows is not a failure.
 */
final class RowOutcomes {

    private long rows;
    private long failed;
    private String firstError;

    /** @param error the row's error, or null when it ran */
    void add(String error) {
        rows++;
        if (error != null) {
            failed++;
            if (firstError == null) {
                firstError = error;
            }
        }
    }

    long rows() {
        return rows;
    }

    long failed() {
        return failed;
    }

    /** Says on {@code err} how the run of {@code command} went, unless every row ran; returns the exit code. */
    int finish(String command, PrintStream err) {
        if (rows == 0) {
            err.println("flood " + command + ": the input holds no rows");
            return Main.OK;
        }
        if (failed == 0) {
            return Main.OK;
        }
        if (failed == rows) {
            err.println(String.format(Locale.ROOT, "flood %s: error: every row failed (%d of %d); the first: %s",
                    command, failed, rows, firstError));
            return Main.FAILED;
        }
        err.println(String.format(Locale.ROOT, "flood %s: %d of %d rows failed (each has its error in the output); "
                + "the first: %s", command, failed, rows, firstError));
        return Main.OK;
    }
}
