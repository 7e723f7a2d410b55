package dev.flood.estimate;

import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import dev.flood.engine.ScheduleSimulation;
import java.util.Arrays;
import java.util.function.ToDoubleFunction;

/**
 * The cost of a generation job before it starts: its rows' prompt and expected output tokens ({@link JobSample}),
 * the steps the engine's own scheduler would plan for them ({@link ScheduleSimulation}), and the time those steps
 * take on a calibrated device ({@link Calibration}, {@link ThroughputModel}).
 *
 * <p>At most {@link #SIMULATED_ROWS} rows are simulated, the sample's first (it is uniform); a larger job's totals
 * are those of the simulated rows scaled to all of them, which holds once the batch runs full for most of the job.
 * The cache, step budget and running limit are the configuration's, or the calibrated run's where the
 * configuration leaves them to the device.
 */
public final class Estimator {

    /** Most rows whose schedule is simulated. */
    public static final int SIMULATED_ROWS = 10_000;

    private Estimator() {
    }

    /**
     * @param config      how the job's engine is configured (step budget, running limit, cache, devices)
     * @param model       the model's configuration
     * @param job         the job's rows
     * @param calibration the throughput measured for this device and model shape
     */
    public static JobEstimate estimate(EngineConfig config, ModelConfig model, JobSample job, Calibration calibration) {
        int cacheTokens = config.cacheTokens() > 0 ? config.cacheTokens() : calibration.cacheTokens();
        EngineConfig limited = config.withAutomaticLimits(calibration.maxBatchTokens(),
                calibration.maxRunningRequests());
        int simulated = Math.min(job.promptTokens().length, SIMULATED_ROWS);
        Rows rows = new Rows(limited, model, cacheTokens, Arrays.copyOf(job.promptTokens(), simulated),
                Arrays.copyOf(job.outputTokens(), simulated));
        double scale = simulated == 0 ? 0 : job.rows() / (double) simulated;
        ModelShape shape = ModelShape.of(model);
        ToDoubleFunction<ScheduleSimulation.Totals> price = t -> calibration.model().seconds(t, shape);
        ScheduleSimulation.Totals expected = rows.schedule(1).scaled(scale);
        double total = job.totalPromptTokens();
        double margin = job.promptMargin();
        JobEstimate.Range promptTokens = JobEstimate.Range.exact(total);
        JobEstimate.Range compute = JobEstimate.Range.exact(price.applyAsDouble(expected));
        if (margin > 0 && total > 0) {
            // the interval's ends: every counted prompt scaled to the low and to the high total
            promptTokens = new JobEstimate.Range(total, Math.max(0, total - margin), total + margin);
            compute = new JobEstimate.Range(compute.value(),
                    price.applyAsDouble(rows.schedule(promptTokens.low() / total).scaled(scale)),
                    price.applyAsDouble(rows.schedule(promptTokens.high() / total).scaled(scale)));
        }
        JobEstimate.Range wall = compute.plus(calibration.openSeconds());
        int devices = config.backend().equals("cuda") ? config.devices().size() : 0;
        return new JobEstimate(job.rows(), expected.requests(), promptTokens, expected.sampledRows(),
                expected.steps(), compute, calibration.openSeconds(), wall, devices, wall.times(devices / 3600.0),
                cacheTokens, calibration);
    }

    /** The rows simulated: their prompt tokens and expected output tokens. */
    private record Rows(EngineConfig config, ModelConfig model, int cacheTokens, int[] prompts, int[] outputs) {

        /** The schedule with every prompt times {@code promptFactor}. */
        ScheduleSimulation.Totals schedule(double promptFactor) {
            int[] promptLengths = new int[prompts.length];
            for (int i = 0; i < prompts.length; i++) {
                promptLengths[i] = (int) Math.max(1, Math.round(prompts[i] * promptFactor));
            }
            return ScheduleSimulation.run(config, model.maxPositions(), cacheTokens, promptLengths, outputs);
        }
    }
}
