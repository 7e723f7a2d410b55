package dev.flood.backend.profile;

/**
 * Timestamps in the order a backend runs its work. On a GPU a mark is an event recorded on the backend's stream:
 * it is reached when everything submitted before it has run, so the time between two marks is device time,
 * including any time the device sat idle waiting for the host. Marks are valid until {@link #reset()}.
 */
public interface OpClock extends AutoCloseable {

    /** Records a mark after everything submitted so far; returns its index. */
    int mark();

    /** Milliseconds from mark {@code from} to mark {@code to}; waits until {@code to} is reached. */
    double millis(int from, int to);

    /** Forgets every mark (their resources are reused); only once the marks of interest have been read. */
    void reset();

    @Override
    void close();
}
