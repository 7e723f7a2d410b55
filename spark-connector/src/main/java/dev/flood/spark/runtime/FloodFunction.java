package dev.flood.spark.runtime;

/**
 * The SQL functions the connector adds. Each takes its data arguments (columns), then optionally one options
 * argument (a constant map or struct, see {@link dev.flood.spark.FloodOptions}).
 */
public enum FloodFunction {
    GENERATE("flood_generate", 1,
            "_FUNC_(prompt[, options]) - Generates a completion of each prompt with the Flood engine."),
    CHAT("flood_chat", 1,
            "_FUNC_(messages[, options]) - Generates the next (assistant) message of each conversation, an "
                    + "array<struct<role: string, content: string>> rendered by the model's chat template."),
    PERPLEXITY("flood_perplexity", 1,
            "_FUNC_(text[, options]) - Perplexity of each text under the model (exp of the mean NLL per token)."),
    SCORE("flood_score", 2,
            "_FUNC_(prompt, choices[, options]) - Picks the most likely continuation among an array of choices.");

    private final String sqlName;
    private final int numArguments;
    private final String usage;

    FloodFunction(String sqlName, int numArguments, String usage) {
        this.sqlName = sqlName;
        this.numArguments = numArguments;
        this.usage = usage;
    }

    public String sqlName() {
        return sqlName;
    }

    /** Data arguments before the optional options argument. */
    public int numArguments() {
        return numArguments;
    }

    /** Usage line for {@code DESCRIBE FUNCTION}; Spark replaces {@code _FUNC_} with the name. */
    public String usage() {
        return usage;
    }
}
