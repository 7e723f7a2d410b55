package dev.flood.spark.runtime;

import java.util.Map;
import org.apache.spark.sql.execution.metric.SQLMetric;

/**
 * Runner metrics as the physical operator's SQL metrics (shown in the SQL tab of the Spark UI), by the names
 * below: sums over tasks for rows and tokens, a timing for the wait, and per-task averages (min, median, max) for
 * the running batch and the cached prefixes.
 *
 * <p>Prefix caching: {@link #CACHED_PROMPT_TOKENS} over {@link #LOOKED_UP_PROMPT_TOKENS} is the share of prompt
 * tokens the engine read from its prefix cache instead of computing them (a request preempted and admitted again
 * is looked up again). The engine is shared by every task of the executor and cannot tell whose hits are whose, so
 * each task reports what the engine counted since the previous task's report ({@link
 * dev.flood.api.PrefixCacheClaims}): the sums over a query's tasks are exactly its executors' engines' counts
 * while the query ran alone on them; two queries at once on one engine split their total roughly. Both are 0
 * where prefix caching is off.
 */
public final class SqlRunnerMetrics implements RunnerMetrics {

    private static final long serialVersionUID = 1L;

    /** Sum: rows emitted. */
    public static final String ROWS = "numOutputRows";
    /** Sum: the rows' prompt tokens as the model saw them (cached ones included). */
    public static final String PROMPT_TOKENS = "promptTokens";
    /** Sum: tokens generated. */
    public static final String GENERATED_TOKENS = "generatedTokens";
    /** Nanosecond timing: time tasks waited for the engine. */
    public static final String ENGINE_TIME = "engineTime";
    /** Average: the engine's mean running batch over each task. */
    public static final String MEAN_RUNNING_BATCH = "meanRunningBatch";
    /** Sum: prompt tokens read from the prefix cache. */
    public static final String CACHED_PROMPT_TOKENS = "cachedPromptTokens";
    /** Sum: prompt tokens looked up in the prefix cache. */
    public static final String LOOKED_UP_PROMPT_TOKENS = "lookedUpPromptTokens";
    /** Average: the engine's cached prefix slots at each task's end. */
    public static final String CACHED_PREFIX_TOKENS = "cachedPrefixTokens";
    /** Average: the engine's runs of cached prefix slots at each task's end. */
    public static final String CACHED_PREFIX_EXTENTS = "cachedPrefixExtents";

    private final SQLMetric rows;
    private final SQLMetric promptTokens;
    private final SQLMetric generatedTokens;
    private final SQLMetric engineTime;
    private final SQLMetric meanRunningBatch;
    private final SQLMetric cachedPromptTokens;
    private final SQLMetric lookedUpPromptTokens;
    private final SQLMetric cachedPrefixTokens;
    private final SQLMetric cachedPrefixExtents;

    /** @param metrics the operator's metrics, holding every name above */
    public SqlRunnerMetrics(Map<String, SQLMetric> metrics) {
        this.rows = required(metrics, ROWS);
        this.promptTokens = required(metrics, PROMPT_TOKENS);
        this.generatedTokens = required(metrics, GENERATED_TOKENS);
        this.engineTime = required(metrics, ENGINE_TIME);
        this.meanRunningBatch = required(metrics, MEAN_RUNNING_BATCH);
        this.cachedPromptTokens = required(metrics, CACHED_PROMPT_TOKENS);
        this.lookedUpPromptTokens = required(metrics, LOOKED_UP_PROMPT_TOKENS);
        this.cachedPrefixTokens = required(metrics, CACHED_PREFIX_TOKENS);
        this.cachedPrefixExtents = required(metrics, CACHED_PREFIX_EXTENTS);
    }

    private static SQLMetric required(Map<String, SQLMetric> metrics, String name) {
        SQLMetric metric = metrics.get(name);
        if (metric == null) {
            throw new IllegalArgumentException("no SQL metric named " + name + " among " + metrics.keySet());
        }
        return metric;
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

    @Override
    public void prefixCache(long numCachedPromptTokens, long numLookedUpPromptTokens, int numCachedPrefixTokens,
                            int numCachedPrefixExtents) {
        cachedPromptTokens.add(numCachedPromptTokens);
        lookedUpPromptTokens.add(numLookedUpPromptTokens);
        cachedPrefixTokens.set((double) numCachedPrefixTokens);
        cachedPrefixExtents.set((double) numCachedPrefixExtents);
    }
}
