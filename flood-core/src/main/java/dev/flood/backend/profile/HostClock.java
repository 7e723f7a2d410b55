package dev.flood.backend.profile;

import java.util.Arrays;

/** A {@link OpClock} for a backend that finishes each op before returning (the CPU backend): the host's clock. */
public final class HostClock implements OpClock {

    private long[] marks = new long[256];
    private int count;

    @Override
    public int mark() {
        if (count == marks.length) {
            marks = Arrays.copyOf(marks, 2 * count);
        }
        marks[count] = System.nanoTime();
        return count++;
    }

    @Override
    public double millis(int from, int to) {
        if (from < 0 || to >= count || from > to) {
            throw new IllegalArgumentException("marks " + from + " to " + to + " of " + count);
        }
        return (marks[to] - marks[from]) / 1e6;
    }

    @Override
    public void reset() {
        count = 0;
    }

    @Override
    public void close() {
    }
}
