package dev.flood.engine.pipeline;

import dev.flood.api.EngineConfig;
import dev.flood.backend.Backend;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.backend.cuda.CudaBackend;

/**
 * Opens the backend of each pipeline stage. {@link #STANDARD} is what the config names; tests pass their own
 * (a backend that fails on chosen steps) through the engine's package-private opener, so no user setting
 * reaches it.
 */
@FunctionalInterface
public interface BackendFactory {

    /** Opens a backend for stage {@code stage} of a pipeline configured by {@code config}. */
    Backend open(EngineConfig config, int stage);

    /** {@code cuda} on the stage's device, or the CPU backend with the configured threads shared by the stages. */
    BackendFactory STANDARD = (config, stage) -> config.backend().equals("cuda")
            ? CudaBackend.open(config, stage)
            : new CpuBackend(Math.max(1, config.threads() / config.numStages()));
}
