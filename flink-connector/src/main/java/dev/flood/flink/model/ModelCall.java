package dev.flood.flink.model;

import dev.flood.api.FloodException;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.flink.EngineFactory;
import dev.flood.flink.FloodOptions.ErrorMode;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineLease;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.internal.FloodMetrics;
import java.io.Serializable;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;

/**
 * What the async and the sync predict function share: the model's options resolved against the job's parameters
 * in {@code open}, a lease on the TaskManager's engine (one per TaskManager for every subtask and every Flood
 * operator with the same engine options), metrics in the operator's group {@code flood}, and the error policy.
 * Shipped to the TaskManagers with the job graph; everything transient is made in {@link #open}.
 */
@Internal
final class ModelCall implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String modelName;
    private final HashMap<String, String> options;
    private final TaskManagerSlots slots;
    private final ModelInput input;
    private final ModelOutputs outputs;

    private transient FloodSettings settings;
    private transient EngineLease lease;
    private transient FloodMetrics metrics;

    /**
     * @param modelName the model's name in the catalog, for error messages
     * @param options   {@code flood.*} keys from the model's options
     */
    ModelCall(String modelName, Map<String, String> options, TaskManagerSlots slots, ModelInput input,
              ModelOutputs outputs) {
        this.modelName = modelName;
        this.options = new HashMap<>(options);
        this.slots = slots;
        this.input = input;
        this.outputs = outputs;
    }

    void open(FunctionContext context) {
        settings = FloodSettings.resolve(options, key -> context.getJobParameter(key, null), slots);
        lease = EngineRegistry.acquire(settings.engine(), EngineFactory.DEFAULT);
        metrics = new FloodMetrics(context.getMetricGroup(), FloodMetrics.GENERATED_TOKENS, lease.engine());
    }

    /** One output row per input row: with on-error RESULT a failed request gives a row that says why. */
    CompletableFuture<Collection<RowData>> predict(RowData features) {
        metrics.started();
        return lease.engine().submit(input.request(features, settings), GenerationListener.NONE).handle((r, e) -> {
            GenerationResult result = e == null ? r : GenerationResult.failed("the engine failed: " + e, 0);
            metrics.finished(result.completionTokens(), result.isError());
            if (result.isError() && settings.onError() == ErrorMode.FAIL) {
                throw new CompletionException(new FloodException("ML_PREDICT on the Flood model " + modelName
                        + " failed: " + result.error()));
            }
            return List.of(outputs.row(result));
        });
    }

    void close() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }
}
