package dev.flood.spark;

import dev.flood.spark.runtime.FloodFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/**
 * Flood's SQL functions as DataFrame columns (Java and Scala). They call the functions by name, so the session
 * needs {@link FloodSparkExtensions}; without it, use {@link FloodTransforms}.
 * <pre>{@code
 * df.withColumn("out", flood_generate(col("prompt"), Map.of("max_tokens", "32", "output", "struct")))
 * }</pre>
 * Options are strings by key ({@link FloodOptions}); they override the session's {@code spark.flood.*} conf.
 */
public final class FloodFunctions {

    private FloodFunctions() {
    }

    public static Column flood_generate(Column prompt) {
        return call(FloodFunction.GENERATE, Map.of(), prompt);
    }

    public static Column flood_generate(Column prompt, Map<String, String> options) {
        return call(FloodFunction.GENERATE, options, prompt);
    }

    /**
     * The model's next (assistant) message of each conversation: {@code messages} is an
     * {@code array<struct<role: string, content: string>>} column, rendered by the model's chat template.
     */
    public static Column flood_chat(Column messages) {
        return call(FloodFunction.CHAT, Map.of(), messages);
    }

    public static Column flood_chat(Column messages, Map<String, String> options) {
        return call(FloodFunction.CHAT, options, messages);
    }

    public static Column flood_perplexity(Column text) {
        return call(FloodFunction.PERPLEXITY, Map.of(), text);
    }

    public static Column flood_perplexity(Column text, Map<String, String> options) {
        return call(FloodFunction.PERPLEXITY, options, text);
    }

    /** The most likely of {@code choices} (an array of strings) as a continuation of {@code prompt}. */
    public static Column flood_score(Column prompt, Column choices) {
        return call(FloodFunction.SCORE, Map.of(), prompt, choices);
    }

    public static Column flood_score(Column prompt, Column choices, Map<String, String> options) {
        return call(FloodFunction.SCORE, options, prompt, choices);
    }

    /** Options as a constant {@code map<string, string>} column, the form the functions take. */
    public static Column options(Map<String, String> options) {
        List<Column> keysAndValues = new ArrayList<>();
        options.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            keysAndValues.add(functions.lit(e.getKey()));
            keysAndValues.add(functions.lit(e.getValue()));
        });
        return functions.map(keysAndValues.toArray(new Column[0]));
    }

    private static Column call(FloodFunction function, Map<String, String> options, Column... arguments) {
        List<Column> all = new ArrayList<>(List.of(arguments));
        if (!options.isEmpty()) {
            all.add(options(options));
        }
        return functions.call_function(function.sqlName(), all.toArray(new Column[0]));
    }
}
