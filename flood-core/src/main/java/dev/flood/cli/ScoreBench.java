package dev.flood.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.ScoreOptions;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * {@code flood score --workload S|S-long}: a scoring workload ({@link Workload#s}, {@link Workload#sLong}) through
 * the engine, every text submitted at once as a bulk job would, after an unmeasured warm-up. Measured from the
 * first submit to the last result: text tokens scored per second, and the GPU's peak memory.
 *
 * @param workload a scoring workload
 * @param numTexts its first texts to run
 * @param options  how texts past the window are scored
 */
record ScoreBench(Workload workload, int numTexts, ScoreOptions options) {

    /** Warm-up texts (excluded from the measurement): a few short ones and one of a full step's size. */
    private static final int WARMUP_TEXTS = 4;
    private static final int WARMUP_TOKENS = 16;
    private static final int WARMUP_LONG_TOKENS = 2_048;

    ScoreBench {
        if (numTexts < 1 || numTexts > workload.inputLengths().size()) {
            throw new IllegalArgumentException("workload " + workload.name() + " has " + workload.inputLengths().size()
                    + " texts; cannot run " + numTexts);
        }
    }

    /** Runs the workload on {@code engine}; returns the report ({@link #table} prints it for people). */
    ObjectNode run(FloodEngine engine, Streams streams) {
        int vocab = engine.modelConfig().vocabSize();
        warmUp(engine, vocab);
        List<List<Integer>> texts = workload.prompts(numTexts, vocab);
        Progress progress = new Progress(streams, "score", numTexts);
        EngineMetrics before = engine.metrics();
        long start = System.nanoTime();
        List<CompletableFuture<ScoreResult>> futures = new ArrayList<>();
        for (List<Integer> ids : texts) {
            futures.add(engine.submitScore(ScoreRequest.ofTokens(ids, options))
                    .whenComplete((result, error) -> progress.advance()));
        }
        List<ScoreResult> results = futures.stream().map(CompletableFuture::join).toList();
        double seconds = (System.nanoTime() - start) / 1e9;
        progress.finish();
        // the engine's config: its step limits resolved (0 = automatic in the config given to open)
        return report(engine.config(), results, seconds, before, engine.metrics());
    }

    private void warmUp(FloodEngine engine, int vocab) {
        List<CompletableFuture<ScoreResult>> warm = new ArrayList<>();
        for (int i = 0; i < WARMUP_TEXTS; i++) {
            warm.add(engine.submitScore(ScoreRequest.ofTokens(Workload.promptTokens(i, WARMUP_TOKENS, vocab), options)));
        }
        warm.add(engine.submitScore(ScoreRequest.ofTokens(Workload.promptTokens(0, WARMUP_LONG_TOKENS, vocab),
                options)));
        warm.forEach(CompletableFuture::join);
    }

    private ObjectNode report(EngineConfig config, List<ScoreResult> results, double seconds, EngineMetrics before,
                              EngineMetrics after) {
        long textTokens = 0;
        long scored = 0;
        long windows = 0;
        long failed = 0;
        String firstError = null;
        for (ScoreResult r : results) {
            textTokens += r.tokens();
            scored += r.tokenLogprobs().size();
            windows += r.windows();
            if (r.isError()) {
                failed++;
                firstError = firstError == null ? r.error() : firstError;
            }
        }
        ObjectNode report = JsonNodeFactory.instance.objectNode();
        report.put("workload", workload.name());
        report.put("model", config.modelPath().toString());
        report.put("backend", config.backend());
        report.put("load_format", config.loadFormat().name().toLowerCase(Locale.ROOT));
        report.put("texts", results.size());
        report.put("failed", failed);
        report.put("text_tokens", textTokens);
        report.put("scored_tokens", scored);
        report.put("windows", windows);
        report.put("seconds", seconds);
        report.put("tokens_per_second", textTokens / seconds);
        report.put("steps", after.steps() - before.steps());
        report.put("preemptions", after.preemptions() - before.preemptions());
        report.put("engine_restarts", after.engineRestarts() - before.engineRestarts());
        report.put("cache_capacity_tokens", after.cache().capacityTokens());
        report.put("peak_gpu_memory_gib", after.peakDeviceMemoryBytes() / (double) (1L << 30));
        report.put("max_batch_tokens", config.maxBatchTokens());
        report.put("max_running", config.maxRunningRequests());
        if (firstError != null) {
            report.put("first_error", firstError);
        }
        return report;
    }

    /** The report for people; {@code --json} prints the same fields as one JSON object. */
    static String table(ObjectNode r) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Workload %s: %d texts scored on %s (%s, %s weights)%n",
                r.get("workload").asText(), r.get("texts").asInt(), r.get("model").asText(),
                r.get("backend").asText(), r.get("load_format").asText()));
        row(t, "text tokens", String.format(Locale.ROOT, "%d (%d scored, in %d windows)", r.get("text_tokens").asLong(),
                r.get("scored_tokens").asLong(), r.get("windows").asLong()));
        row(t, "failed texts", String.valueOf(r.get("failed").asLong()));
        row(t, "wall time", String.format(Locale.ROOT, "%.2f s", r.get("seconds").asDouble()));
        row(t, "tokens/s", String.format(Locale.ROOT, "%.1f", r.get("tokens_per_second").asDouble()));
        row(t, "steps", String.format(Locale.ROOT, "%d (budget %d tokens, %d running at most)",
                r.get("steps").asLong(), r.get("max_batch_tokens").asInt(), r.get("max_running").asInt()));
        row(t, "preemptions", String.valueOf(r.get("preemptions").asLong()));
        row(t, "engine restarts", BenchReport.restarts(r));
        row(t, "KV cache", r.get("cache_capacity_tokens").asLong() + " token slots");
        row(t, "peak GPU memory", String.format(Locale.ROOT, "%.2f GiB", r.get("peak_gpu_memory_gib").asDouble()));
        return t.toString().stripTrailing();
    }

    private static void row(StringBuilder table, String label, String value) {
        table.append(String.format(Locale.ROOT, "  %-24s%s%n", label, value));
    }
}
