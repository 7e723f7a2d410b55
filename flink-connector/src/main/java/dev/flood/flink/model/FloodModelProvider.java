package dev.flood.flink.model;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/** A Flood model's runtime: the async predict function (ML_PREDICT's default) or the sync one. */
@Internal
final class FloodModelProvider implements AsyncPredictRuntimeProvider, PredictRuntimeProvider {

    private final ModelCall call;

    FloodModelProvider(ModelCall call) {
        this.call = call;
    }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
        return new FloodPredictFunction(call);
    }

    @Override
    public PredictFunction createPredictFunction(ModelProvider.Context context) {
        return new FloodSyncPredictFunction(call);
    }

    @Override
    public ModelProvider copy() {
        return new FloodModelProvider(call);
    }
}
