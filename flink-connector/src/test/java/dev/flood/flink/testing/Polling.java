package dev.flood.flink.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition another thread makes true. The deadline only turns a hang into a failure: no test waits
 * for time to pass, and none depends on how soon the condition holds.
 */
public final class Polling {

    /** Far longer than any wait here on any machine. */
    public static final long DEADLINE_MINUTES = 5;

    private Polling() {
    }

    /** Returns once {@code condition} is true, checking it every millisecond. */
    public static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(DEADLINE_MINUTES);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Returns once {@code latch} is open. */
    public static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(DEADLINE_MINUTES, TimeUnit.MINUTES)) {
            throw new AssertionError("gave up waiting for " + what);
        }
    }
}
