package dev.flood.spark.runtime;

import dev.flood.api.FloodEngine;
import dev.flood.testing.ForwardingEngine;
import java.util.Set;

/** A real engine that removes itself from {@code open} when closed, so tests see what the registry closed. */
final class ClosingProbe extends ForwardingEngine {

    private final Set<FloodEngine> open;

    ClosingProbe(FloodEngine delegate, Set<FloodEngine> open) {
        super(delegate);
        this.open = open;
    }

    FloodEngine delegate() {
        return delegate;
    }

    @Override
    public void close() {
        delegate.close();
        open.remove(delegate);
    }
}
