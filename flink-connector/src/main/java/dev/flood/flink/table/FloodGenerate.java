package dev.flood.flink.table;

import dev.flood.api.GenerationListener;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.FloodMetrics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.PublicEvolving;

/**
 * {@code FLOOD_GENERATE(prompt STRING) -> STRING}: the model's completion of the prompt, sampled as the
 * {@code flood.*} options say with a seed derived from {@code flood.seed} and the prompt. NULL for a NULL prompt
 * (Flink answers NULL arguments without calling an async scalar function). NULL for a prompt the engine rejects
 * (over-long) when {@code flood.on-error} is RESULT (the default); the query fails when it is FAIL.
 *
 * <pre>{@code
 * CREATE FUNCTION FLOOD_GENERATE AS 'dev.flood.flink.table.FloodGenerate';
 * SET 'flood.model.path' = '/models/qwen3-0.6b';
 * SELECT id, FLOOD_GENERATE(CONCAT('Summarize: ', body)) FROM events;
 * }</pre>
 */
@PublicEvolving
public final class FloodGenerate extends FloodTableFunction {

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
        super(options, slots, FloodMetrics.GENERATED_TOKENS);
    }

    public void eval(CompletableFuture<String> result, String prompt) {
        started();
        engine().submit(settings().requestFor(prompt), GenerationListener.NONE)
                .whenComplete((r, error) -> {
                    if (error != null) {
                        finish(result, null, 0, "the engine failed: " + error);
                    } else {
                        finish(result, r.text(), r.completionTokens(), r.error());
                    }
                });
    }

    @Override
    String functionName() {
        return "FLOOD_GENERATE";
    }
}
