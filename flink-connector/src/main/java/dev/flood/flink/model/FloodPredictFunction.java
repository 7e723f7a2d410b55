package dev.flood.flink.model;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

/**
 * ML_PREDICT's async function for a Flood model: every row's prompt goes to the TaskManager's shared engine at
 * once, so rows of all subtasks share its continuous batch. Flink's async operator around it bounds the rows in
 * flight ({@code 'max-concurrent-operations'} in ML_PREDICT's config map, or
 * {@code table.exec.async-ml-predict.max-concurrent-operations}), applies the timeout and keeps the order.
 */
@Internal
public final class FloodPredictFunction extends AsyncPredictFunction {

    private static final long serialVersionUID = 1L;

    private final ModelCall call;

    FloodPredictFunction(ModelCall call) {
        this.call = call;
    }

    @Override
    public void open(FunctionContext context) {
        call.open(context);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData features) {
        return call.predict(features);
    }

    @Override
    public void close() {
        call.close();
    }
}
