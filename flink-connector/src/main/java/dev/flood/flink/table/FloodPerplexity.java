package dev.flood.flink.table;

import dev.flood.api.ScoreRequest;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.FloodMetrics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.PublicEvolving;

/**
 * {@code FLOOD_PERPLEXITY(text STRING) -> DOUBLE}: exp of the mean negative log-likelihood of the text's tokens
 * (each given those before it, the tokenizer's special tokens included; a text longer than
 * {@code flood.score.max-length} in strided sliding windows, each token once). NULL for a NULL text, for a text
 * with no token to score, and for a text the engine rejects (over-long with {@code flood.score.sliding-window}
 * false) when {@code flood.on-error} is RESULT.
 */
@PublicEvolving
public final class FloodPerplexity extends FloodTableFunction {

    public FloodPerplexity() {
        this(Map.of());
    }

    public FloodPerplexity(Map<String, String> options) {
        this(options, TaskManagerSlots.UNKNOWN);
    }

    /** {@code slots}: the TaskManagers' slots, the default of {@code flood.threads}. */
    public FloodPerplexity(Map<String, String> options, TaskManagerSlots slots) {
        super(options, slots, FloodMetrics.SCORED_TOKENS);
    }

    public void eval(CompletableFuture<Double> result, String text) {
        started();
        engine().submitScore(ScoreRequest.of(text, settings().scoring())).whenComplete((score, error) -> {
            if (error != null) {
                finish(result, null, 0, "the engine failed: " + error);
            } else if (score.isError()) {
                finish(result, null, 0, score.error());
            } else {
                Double perplexity = Double.isNaN(score.perplexity()) ? null : score.perplexity();
                finish(result, perplexity, score.tokenLogprobs().size(), null);
            }
        });
    }

    @Override
    String functionName() {
        return "FLOOD_PERPLEXITY";
    }
}
