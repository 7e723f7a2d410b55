package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.engine.pipeline.BackendFactory;
import java.time.Duration;

/** Opens engines with a test's backends (fault injection) for tests outside this package, such as the GPU's. */
public final class TestEngines {

    private TestEngines() {
    }

    /** An engine whose stages' backends come from {@code backends}, restarting up to {@code maxRestarts} an hour. */
    public static FloodEngine open(EngineConfig config, BackendFactory backends, int maxRestarts) {
        return Engine.open(config, backends, new Recovery.Policy(maxRestarts, Duration.ofHours(1), System::nanoTime));
    }
}
