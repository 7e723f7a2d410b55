package dev.flood.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** The benchmark's report as a table for people; {@code --json} prints the same fields as one JSON object. */
final class BenchReport {

    private BenchReport() {
    }

    static String table(JsonNode r) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Workload %s: %d prompts x %d output tokens on %s (%s, %s weights, %d threads)%n",
                r.get("workload").asText(), r.get("prompts").asInt(), r.get("output_tokens_per_prompt").asInt(),
                r.get("model").asText(), r.get("backend").asText(), r.get("load_format").asText(),
                r.get("threads").asInt()));
        row(t, "prompt tokens", "%d", r.get("prompt_tokens").asLong());
        row(t, "generated tokens", "%d", r.get("generated_tokens").asLong());
        row(t, "failed requests", "%d", r.get("failed").asLong());
        row(t, "clamped prompts", "%d", r.get("clamped_prompts").asLong());
        row(t, "wall time", "%.2f s", r.get("seconds").asDouble());
        row(t, "output tokens/s", "%.1f", r.get("output_tokens_per_second").asDouble());
        row(t, "total tokens/s", "%.1f", r.get("total_tokens_per_second").asDouble());
        row(t, "time to first token", "%s", percentiles(r.get("ttft_ms")));
        row(t, "time per output token", "%s", percentiles(r.get("tpot_ms")));
        row(t, "steps", "%d", r.get("steps").asLong());
        row(t, "mean running batch", "%.1f requests", r.get("mean_running_batch").asDouble());
        row(t, "KV cache use", "%s", String.format(Locale.ROOT, "mean %.1f%%, peak %.1f%% of %d token slots",
                100 * r.get("mean_cache_use").asDouble(), 100 * r.get("peak_cache_use").asDouble(),
                r.get("cache_capacity_tokens").asLong()));
        row(t, "preemptions", "%d", r.get("preemptions").asLong());
        row(t, "engine restarts", "%s", restarts(r));
        row(t, "prompt tokens computed", "%d", r.get("prompt_tokens_computed").asLong());
        row(t, "prefix cache", "%s", String.format(Locale.ROOT,
                "%s: %d prompt tokens read (%.1f%% of those looked up); cached now %d tokens in %d extents",
                r.get("prefix_caching").asText(), r.get("prompt_tokens_from_cache").asLong(),
                100 * r.get("prefix_cache_hit_rate").asDouble(), r.get("cached_tokens").asLong(),
                r.get("cached_extents").asLong()));
        row(t, "peak GPU memory", "%.2f GiB", r.get("peak_gpu_memory_gib").asDouble());
        row(t, "steps in flight", "%d", r.get("steps_in_flight").asInt());
        row(t, "CUDA graphs", "%s", r.get("cuda_graphs").asText().equals("on") ? "on (decode-only steps)" : "off");
        for (JsonNode stage : r.get("stages")) {
            row(t, "stage " + stage.get("stage").asInt() + " idle", "%s", String.format(Locale.ROOT,
                    "%.1f%% of step time (%.2f s idle, %.2f s in %d steps; %s, layers %s)",
                    100 * stage.get("idle_share").asDouble(), stage.get("idle_seconds").asDouble(),
                    stage.get("step_seconds").asDouble(), stage.get("steps").asLong(), stage.get("device").asText(),
                    stage.get("layers").asText()));
        }
        return t.toString().stripTrailing();
    }

    /** A report's {@code engine_restarts}, saying when the figures include a recovery (flood bench and score). */
    static String restarts(JsonNode r) {
        long restarts = r.get("engine_restarts").asLong();
        return restarts + (restarts > 0 ? " (a step failed: these figures include the recovery)" : "");
    }

    private static void row(StringBuilder table, String label, String format, Object value) {
        table.append(String.format(Locale.ROOT, "  %-24s" + format + "%n", label, value));
    }

    private static String percentiles(JsonNode p) {
        if (p.get("p50").isNull()) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms",
                p.get("p50").asDouble(), p.get("p90").asDouble(), p.get("p99").asDouble());
    }
}
