package dev.flood.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long run on standard error: more than {@link #MIN_ITEMS} items get a bar redrawn in place with
 * {@code \r} on a terminal, or a line every tenth of the way otherwise. Time counts from construction.
 *
 * <p>Items are counted as they finish, unless the run reports tokens ({@link #expect}, {@link #generated}): then
 * the way done is generated tokens over the tokens the job is expected to generate, so that a job whose rows all
 * finish together does not sit at 0% until its end, with the rate and the time left. The expected total is each
 * queued item's max tokens (lowered to what it generated once it finishes) plus, for items not yet queued, the
 * queued items' mean. Prompt tokens are left out: prefill costs far less per token than a decode step.
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
    private boolean countsTokens;
    private long queued;
    private long expectedTokens;    // queued items' max tokens, each lowered to what it generated once finished
    private long generatedTokens;

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

    /** An item was queued that generates at most {@code maxTokens}: progress counts tokens from now on. */
    synchronized void expect(int maxTokens) {
        countsTokens = true;
        queued++;
        expectedTokens += maxTokens;
    }

    /** {@code tokens} more were generated; called from the engine's thread. */
    synchronized void generated(int tokens) {
        generatedTokens += tokens;
        show();
    }

    /** One more item finished; may be called from the engine's thread. */
    synchronized void advance() {
        done++;
        show();
    }

    /** One more item finished, having generated {@code tokens} of the {@code maxTokens} it was expected to. */
    synchronized void advance(int tokens, int maxTokens) {
        expectedTokens -= maxTokens - tokens;
        advance();
    }

    private void show() {
        if (!shown) {
            return;
        }
        double fraction = fraction();
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastRedrawNanos >= REDRAW_NANOS || done == total) {
                lastRedrawNanos = now;
                int filled = (int) (BAR_WIDTH * fraction);
                err.print(String.format(Locale.ROOT, "\r%s [%s%s] %3d%% %s", label, "#".repeat(filled),
                        "-".repeat(BAR_WIDTH - filled), (int) (100 * fraction), counts()));
                err.flush();
            }
        } else {
            // 100% only once every item is done (the last tokens come just before their items finish)
            int tenth = done == total ? 10 : Math.min(9, (int) (10 * fraction));
            if (tenth > lastTenth) {
                lastTenth = tenth;
                err.println(String.format(Locale.ROOT, "%s: %d%% %s", label, 10 * tenth, counts()));
            }
        }
    }

    /** The way done, in [0, 1]: of the expected tokens when counting tokens, else of the items. */
    private double fraction() {
        if (!countsTokens) {
            return (double) done / total;
        }
        double expected = expectedTotal();
        return expected <= 0 ? (double) done / total : Math.min(1, generatedTokens / expected);
    }

    /** Tokens the whole job is expected to generate. */
    private double expectedTotal() {
        return expectedTokens + (total - queued) * (queued == 0 ? 0 : (double) expectedTokens / queued);
    }

    private String counts() {
        double seconds = seconds();
        if (!countsTokens) {
            return String.format(Locale.ROOT, "(%d/%d) after %.1f s", done, total, seconds);
        }
        double rate = seconds > 0 ? generatedTokens / seconds : 0;
        double left = rate > 0 ? Math.max(0, expectedTotal() - generatedTokens) / rate : Double.NaN;
        return String.format(Locale.ROOT, "of %.0f tokens (%d generated, %d/%d rows) after %.1f s, %.1f tokens/s, %s",
                expectedTotal(), generatedTokens, done, total, seconds, rate,
                Double.isNaN(left) ? "time left unknown" : String.format(Locale.ROOT, "%.0f s left", left));
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
