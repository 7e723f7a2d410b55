package dev.flood.estimate;

import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import dev.flood.engine.ScheduleSimulation;
import java.util.Arrays;

/**
 * A run of the engine measured to calibrate the {@link ThroughputModel}: requests with these prompt lengths, all
 * queued at once, each generating {@code outputTokens} (EOS ignored), taking {@code seconds}.
 *
 * @param promptLengths prompt tokens of each request
 * @param outputTokens  tokens each request generated
 * @param seconds       how long the run took, from its first request queued to its last token
 */
public record MeasuredRun(int[] promptLengths, int outputTokens, double seconds) {

    /** The lone request of the decode probe, which mostly costs steps: a short prompt and a long output. */
    public static final int PROBE_PROMPT_TOKENS = 16;
    public static final int PROBE_OUTPUT_TOKENS = 128;
    /**
     * The long-context probe: this many requests whose prompts are long (two step budgets, within the context and
     * {@link #LONG_PROBE_MAX_PROMPT_TOKENS}), mostly attention.
     */
    public static final int LONG_PROBE_REQUESTS = 2;
    public static final int LONG_PROBE_OUTPUT_TOKENS = 4;
    public static final int LONG_PROBE_MAX_PROMPT_TOKENS = 8192;

    /** The long-context probe's prompt length for a model's context and an engine's step budget. */
    public static int longProbePromptTokens(int maxPositions, int maxBatchTokens) {
        return Math.max(1, Math.min(Math.min(LONG_PROBE_MAX_PROMPT_TOKENS, 2 * maxBatchTokens),
                maxPositions - LONG_PROBE_OUTPUT_TOKENS - 1));
    }

    public MeasuredRun {
        promptLengths = promptLengths.clone();
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("a measured run must take some time, got " + seconds + " s");
        }
    }

    /** What the run was, as the model prices it: its simulated schedule under the engine's limits, and its work. */
    public ThroughputModel.Observation observe(EngineConfig config, ModelConfig model, int cacheTokens) {
        int[] outputs = new int[promptLengths.length];
        Arrays.fill(outputs, outputTokens);
        ScheduleSimulation.Totals totals = ScheduleSimulation.run(config, model.maxPositions(), cacheTokens,
                promptLengths, outputs);
        ModelShape shape = ModelShape.of(model);
        return new ThroughputModel.Observation(totals, shape.matmulMacs(totals), shape.attentionMacs(totals), seconds);
    }
}
