package dev.flood.flink.model;

import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import java.util.Map;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

/**
 * Flood as a Flink model provider: a local engine in each TaskManager, shared by every subtask of every query
 * that resolves the same engine options.
 * <pre>{@code
 * CREATE MODEL summarizer
 *   INPUT (prompt STRING)
 *   OUTPUT (completion STRING)
 *   WITH ('provider' = 'flood', 'model.path' = '/models/qwen3-0.6b', 'max-new-tokens' = '64');
 * SELECT id, body, completion FROM ML_PREDICT(TABLE events, MODEL summarizer, DESCRIPTOR(prompt));
 * }</pre>
 * The options are Flood's ({@link ModelOptions}); INPUT is the prompt or the messages ({@link ModelInput}), OUTPUT
 * the completion, several of the result's fields, or the fields of {@code 'output-schema'} ({@link ModelOutputs}).
 * Options are checked when the query is planned.
 */
@PublicEvolving
public final class FloodModelProviderFactory implements ModelProviderFactory {

    public static final String IDENTIFIER = "flood";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return ModelOptions.declared(true);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return ModelOptions.declared(false);
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        ResolvedCatalogModel model = context.getCatalogModel();
        String name = context.getObjectIdentifier().asSummaryString();
        try {
            Map<String, String> options = ModelOptions.toFloodOptions(model.getOptions());
            TaskManagerSlots slots = TaskManagerSlots.of(context.getConfiguration());
            FloodSettings settings = FloodSettings.resolve(options, key -> null, slots);
            ModelCall call = new ModelCall(name, options, slots, ModelInput.of(model.getResolvedInputSchema()),
                    ModelOutputs.of(model.getResolvedOutputSchema(), settings.shape().output()));
            return new FloodModelProvider(call);
        } catch (IllegalArgumentException e) {
            throw new ValidationException("Flood model " + name + ": " + e.getMessage(), e);
        }
    }
}
