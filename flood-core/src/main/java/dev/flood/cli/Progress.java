package dev.flood.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long run on standard error: more than {@link #MIN_ITEMS} items get a bar redrawn in place with
 * {@code \r} on a terminal, or a line every tenth of the way otherwise. Time counts from construction.
 */
final class Progress {

    static final int MIN_ITEMS = 20;
    private static final int BAR_WIDTH = 30;
    /** Redraws of the terminal bar are at least this far apart. */
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream err;
    private final boolean terminal;
    private final String label;
    private final long total;
    private final boolean shown;
    private final long startNanos = System.nanoTime();
    private long done;
    private long lastRedrawNanos;
    private int lastTenth;

    /**
     * @param label what is running, e.g. {@code generate}
     * @param total how many items will be reported
     */
    Progress(Streams streams, String label, long total) {
        this.err = streams.err();
        this.terminal = streams.terminal();
        this.label = label;
        this.total = total;
        this.shown = total > MIN_ITEMS;
    }

    /** One more item finished; may be called from the engine's thread. */
    synchronized void advance() {
        done++;
        if (!shown) {
            return;
        }
        long now = System.nanoTime();
        if (terminal) {
            if (now - lastRedrawNanos >= REDRAW_NANOS || done == total) {
                lastRedrawNanos = now;
                int filled = (int) (BAR_WIDTH * done / total);
                err.print(String.format(Locale.ROOT, "\r%s [%s%s] %3d%% %d/%d %.1f s", label, "#".repeat(filled),
                        "-".repeat(BAR_WIDTH - filled), 100 * done / total, done, total, seconds()));
                err.flush();
            }
        } else {
            int tenth = (int) (10 * done / total);
            if (tenth > lastTenth) {
                lastTenth = tenth;
                err.println(String.format(Locale.ROOT, "%s: %d%% (%d/%d) after %.1f s", label, 10 * tenth, done,
                        total, seconds()));
            }
        }
    }

    /** Ends the bar's line on a terminal, so that the summary starts on its own line. */
    synchronized void finish() {
        if (shown && terminal) {
            err.println();
        }
    }

    /** Seconds since construction. */
    double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
