package dev.flood.cli;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.config.ModelConfig;
import dev.flood.estimate.Calibration;
import dev.flood.estimate.MeasuredRun;
import dev.flood.estimate.ModelShape;
import dev.flood.estimate.ThroughputModel;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What {@code flood bench} measures for {@code flood estimate}: after the workload, two probe runs of other shapes
 * (a lone request decoding, which mostly costs steps; long prompts, which mostly cost attention), the
 * {@link ThroughputModel} fitted to the three, and the {@link Calibration} filed for this device and model shape.
 */
final class BenchCalibration {

    private BenchCalibration() {
    }

    /**
     * Runs the probes on {@code engine} and fits the model to them and the measured {@code workload}.
     *
     * @param openSeconds how long the engine took to open
     */
    static Calibration calibrate(FloodEngine engine, EngineConfig config, MeasuredRun workload, double openSeconds) {
        ModelConfig model = engine.modelConfig();
        int cacheTokens = engine.metrics().cache().capacityTokens();
        MeasuredRun lone = timed(engine, new int[] {MeasuredRun.PROBE_PROMPT_TOKENS}, MeasuredRun.PROBE_OUTPUT_TOKENS);
        int[] longPrompts = new int[MeasuredRun.LONG_PROBE_REQUESTS];
        Arrays.fill(longPrompts, MeasuredRun.longProbePromptTokens(model.maxPositions(), config.maxBatchTokens()));
        MeasuredRun longContext = timed(engine, longPrompts, MeasuredRun.LONG_PROBE_OUTPUT_TOKENS);
        ThroughputModel fitted = ThroughputModel.fit(List.of(workload.observe(config, model, cacheTokens),
                lone.observe(config, model, cacheTokens), longContext.observe(config, model, cacheTokens)));
        return new Calibration(Calibration.deviceOf(config), ModelShape.of(model).key(), fitted, cacheTokens,
                config.maxBatchTokens(), config.maxRunningRequests(), openSeconds,
                config.loadFormat().name().toLowerCase(Locale.ROOT),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** Runs workload-W-style prompts of these lengths, each generating {@code outputTokens}, and times them. */
    private static MeasuredRun timed(FloodEngine engine, int[] promptLengths, int outputTokens) {
        SamplingParams params = SamplingParams.builder().maxNewTokens(outputTokens).ignoreEos().build();
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < promptLengths.length; i++) {
            requests.add(GenerateRequest.ofTokens(Workload.promptTokens(i, promptLengths[i],
                    engine.modelConfig().vocabSize()), params));
        }
        long start = System.nanoTime();
        List<GenerationResult> results = engine.generate(requests);
        double seconds = (System.nanoTime() - start) / 1e9;
        results.stream().filter(GenerationResult::isError).findFirst().ifPresent(failed -> {
            throw new IllegalStateException("a calibration run failed: " + failed.error());
        });
        return new MeasuredRun(promptLengths, outputTokens, seconds);
    }

    /** One line for the bench's summary, e.g. {@code 1.23 ms per step, 0.456 s per GMAC, ...}. */
    static String describe(ThroughputModel model) {
        return String.format(Locale.ROOT, "%.3g ms per step, %.3g s per GMAC of matmuls, %.3g s per GMAC of"
                + " attention", model.secondsPerStep() * 1e3, model.secondsPerGigaMac(),
                model.secondsPerAttentionGigaMac());
    }
}
