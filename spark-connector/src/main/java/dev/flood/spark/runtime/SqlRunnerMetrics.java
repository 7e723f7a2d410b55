package dev.flood.spark.runtime;

import org.apache.spark.sql.execution.metric.SQLMetric;

/**
 * Runner metrics as the physical operator's SQL metrics (shown in the SQL tab of the Spark UI): sums over tasks
 * for rows and tokens, a timing for the wait, and per-task averages (min, median, max) for the running batch.
 */
public final class SqlRunnerMetrics implements RunnerMetrics {

    private static final long serialVersionUID = 1L;

    private final SQLMetric rows;
    private final SQLMetric promptTokens;
    private final SQLMetric generatedTokens;
    private final SQLMetric engineTime;
    private final SQLMetric meanRunningBatch;

    /**
     * @param rows             sum metric
     * @param promptTokens     sum metric
     * @param generatedTokens  sum metric
     * @param engineTime       nanosecond timing metric
     * @param meanRunningBatch average metric
     */
    public SqlRunnerMetrics(SQLMetric rows, SQLMetric promptTokens, SQLMetric generatedTokens, SQLMetric engineTime,
                            SQLMetric meanRunningBatch) {
        this.rows = rows;
        this.promptTokens = promptTokens;
        this.generatedTokens = generatedTokens;
        this.engineTime = engineTime;
        this.meanRunningBatch = meanRunningBatch;
    }

    @Override
    public void row(long numPromptTokens, long numGeneratedTokens) {
        rows.add(1);
        promptTokens.add(numPromptTokens);
        generatedTokens.add(numGeneratedTokens);
    }

    @Override
    public void waited(long nanos) {
        engineTime.add(nanos);
    }

    @Override
    public void meanRunningBatch(double requests) {
        meanRunningBatch.set(requests);
    }
}
