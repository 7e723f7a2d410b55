package dev.flood.flink.model;

import java.util.Collection;
import java.util.concurrent.CompletionException;
import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

/**
 * ML_PREDICT's function for a Flood model when the query asks for a synchronous call ({@code 'async' = 'false'}):
 * one row at a time per subtask, so the engine batches only across subtasks. The async function is the one to use.
 */
@Internal
public final class FloodSyncPredictFunction extends PredictFunction {

    private static final long serialVersionUID = 1L;

    private final ModelCall call;

    FloodSyncPredictFunction(ModelCall call) {
        this.call = call;
    }

    @Override
    public void open(FunctionContext context) {
        call.open(context);
    }

    @Override
    public Collection<RowData> predict(RowData features) {
        try {
            return call.predict(features).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    @Override
    public void close() {
        call.close();
    }
}
