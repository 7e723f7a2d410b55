package dev.flood.flink.internal;

import dev.flood.api.FloodEngine;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.annotation.Internal;

/** One subtask's hold on a shared engine; closing it (once, whatever the number of calls) gives the hold back. */
@Internal
public final class EngineLease implements AutoCloseable {

    private final FloodEngine engine;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    EngineLease(FloodEngine engine, Runnable release) {
        this.engine = engine;
        this.release = release;
    }

    public FloodEngine engine() {
        if (closed.get()) {
            throw new IllegalStateException("the engine lease was closed");
        }
        return engine;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
