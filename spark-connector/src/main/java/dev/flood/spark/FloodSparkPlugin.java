package dev.flood.spark;

import dev.flood.spark.runtime.EngineRegistry;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Closes the executor's Flood engines when the executor stops: set {@code spark.plugins=dev.flood.spark.FloodSparkPlugin}.
 * Without it a JVM shutdown hook closes them.
 */
public final class FloodSparkPlugin implements SparkPlugin {

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void shutdown() {
                EngineRegistry.shared().closeAll();
            }
        };
    }
}
