package dev.flood.flink.table;

import dev.flood.flink.TaskManagerSlots;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;

/**
 * {@code FLOOD_GENERATE(prompt STRING [, output_schema STRING literal]) -> STRING or ROW}: the model's completion of
 * the prompt, sampled as the {@code flood.*} options say with a seed derived from {@code flood.seed} and the
 * prompt. NULL for a NULL prompt (Flink answers NULL arguments without calling an async scalar function). NULL for
 * a prompt the engine rejects (over-long) when {@code flood.on-error} is RESULT (the default); the query fails when
 * it is FAIL. With an output schema the result is a typed {@code ROW} (see {@link GenerationFunction}).
 *
 * <pre>{@code
 * CREATE FUNCTION FLOOD_GENERATE AS 'dev.flood.flink.table.FloodGenerate';
 * SET 'pipeline.global-job-parameters' = 'flood.model.path:/models/qwen3-0.6b';
 * SELECT id, FLOOD_GENERATE(CONCAT('Summarize: ', body)) FROM events;
 * SELECT id, FLOOD_GENERATE(CONCAT('Extract: ', body), 'name STRING, age INT').age FROM events;
 * }</pre>
 */
@PublicEvolving
public final class FloodGenerate extends GenerationFunction {

    /** Options from the job only (for {@code CREATE FUNCTION}). */
    public FloodGenerate() {
        this(Map.of());
    }

    /** {@code options}: {@code flood.*} keys, taking precedence over the job's. */
    public FloodGenerate(Map<String, String> options) {
        this(options, TaskManagerSlots.UNKNOWN);
    }

    /** {@code slots}: the TaskManagers' slots, the default of {@code flood.threads}. */
    public FloodGenerate(Map<String, String> options, TaskManagerSlots slots) {
        super(options, slots);
    }

    public void eval(CompletableFuture<Object> result, String prompt) {
        generate(result, settings().requestFor(prompt), null);
    }

    public void eval(CompletableFuture<Object> result, String prompt, String outputSchema) {
        generate(result, settings().requestFor(prompt), outputSchema);
    }

    @Override
    DataType inputType() {
        return DataTypes.STRING();
    }

    @Override
    String functionName() {
        return "FLOOD_GENERATE";
    }
}
