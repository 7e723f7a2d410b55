package dev.flood.flink.table;

import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.flink.EngineFactory;
import dev.flood.flink.FloodOptions.ErrorMode;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineLease;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.internal.FloodMetrics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.functions.AsyncScalarFunction;
import org.apache.flink.table.functions.FunctionContext;

/**
 * What {@link FloodGenerate}, {@link FloodChat} and {@link FloodPerplexity} share: options resolved against the
 * job's parameters in {@code open}, a lease on the TaskManager's engine, metrics, and the error policy. Flink's
 * async scalar operator around them bounds the calls in flight
 * ({@code table.exec.async-scalar.max-concurrent-operations}), applies the timeout and retries
 * ({@code table.exec.async-scalar.*}) and checkpoints the rows in flight.
 */
@Internal
abstract class FloodTableFunction extends AsyncScalarFunction {

    private final HashMap<String, String> options;
    private final TaskManagerSlots slots;
    private final String tokensMetric;

    private transient FloodSettings settings;
    private transient EngineLease lease;
    private transient FloodMetrics metrics;

    FloodTableFunction(Map<String, String> options, TaskManagerSlots slots, String tokensMetric) {
        this.options = new HashMap<>(options);
        this.slots = slots;
        this.tokensMetric = tokensMetric;
    }

    @Override
    public void open(FunctionContext context) {
        settings = FloodSettings.resolve(options, key -> context.getJobParameter(key, null), slots);
        lease = EngineRegistry.acquire(settings.engine(), EngineFactory.DEFAULT);
        metrics = new FloodMetrics(context.getMetricGroup(), tokensMetric, lease.engine());
    }

    final FloodSettings settings() {
        return settings;
    }

    final FloodEngine engine() {
        return lease.engine();
    }

    final void started() {
        metrics.started();
    }

    /** Completes {@code future} with {@code value}, or per {@code flood.on-error} when {@code error} is set. */
    final <T> void finish(CompletableFuture<T> future, T value, int numTokens, String error) {
        metrics.finished(numTokens, error != null);
        if (error == null) {
            future.complete(value);
        } else if (settings.onError() == ErrorMode.FAIL) {
            future.completeExceptionally(new FloodException(functionName() + " failed: " + error));
        } else {
            future.complete(null);
        }
    }

    abstract String functionName();

    /** A model call: never evaluated while planning. */
    @Override
    public boolean supportsConstantFolding() {
        return false;
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}
