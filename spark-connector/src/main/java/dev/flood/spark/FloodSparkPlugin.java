package dev.flood.spark;

import dev.flood.spark.runtime.EngineRegistry;
import dev.flood.spark.runtime.StageFailures;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Set {@code spark.plugins=dev.flood.spark.FloodSparkPlugin}. On executors it closes the Flood engines when the
 * executor stops (without it a JVM shutdown hook does); between executors and the driver it fails a stage at once
 * when a row fails under {@code on_error=fail} (without it Spark retries the task, which fails again).
 */
public final class FloodSparkPlugin implements SparkPlugin {

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverPlugin() {
            private SparkContext sparkContext;

            @Override
            public Map<String, String> init(SparkContext context, PluginContext pluginContext) {
                sparkContext = context;
                return Map.of();
            }

            @Override
            public Object receive(Object message) {
                if (message instanceof StageFailures.CancelStage request) {
                    return StageFailures.cancel(sparkContext, request);
                }
                throw new IllegalArgumentException("unexpected message to Flood's driver plugin: " + message);
            }
        };
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext context, Map<String, String> extraConf) {
                StageFailures.executorStarted(context);
            }

            @Override
            public void shutdown() {
                EngineRegistry.shared().closeAll();
            }
        };
    }
}
