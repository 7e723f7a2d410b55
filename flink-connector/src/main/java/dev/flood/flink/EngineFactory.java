package dev.flood.flink;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Opens the engine a TaskManager shares. The default opens a plain {@link FloodEngine}; another factory can wrap
 * it (tracing, a test's slow engine). Engines are shared per (config, factory), so a factory must have value
 * equality that survives serialization: an enum constant or a record, not a lambda.
 */
@PublicEvolving
@FunctionalInterface
public interface EngineFactory extends Serializable {

    FloodEngine open(EngineConfig config);

    /** {@link FloodEngine#open}. */
    EngineFactory DEFAULT = Standard.INSTANCE;

    /** The default as an enum constant, so that it deserializes to the same instance in every subtask. */
    enum Standard implements EngineFactory {
        INSTANCE;

        @Override
        public FloodEngine open(EngineConfig config) {
            return FloodEngine.open(config);
        }
    }
}
