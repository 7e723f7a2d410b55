package dev.flood.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.config.ModelConfig;
import dev.flood.testing.Fixtures;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The estimate of a job of a few hundred rows against the engine running that job, on the CPU backend:
 * calibrated as {@code flood bench} calibrates (a batch of mixed prompts, a lone request, long prompts), then asked
 * about a job of other prompt and output lengths.
 *
 * <p>Load cannot break it. The clock is the CPU time of the engine's threads (the engine thread, the stage's
 * worker, the CPU backend's pool), read before and after each run, not wall time: other processes' load stretches
 * wall time by any factor between the calibration and the job, and the throughput model does not care which clock
 * its runs were measured with. CPU time still grows in bursts of contention (shared caches, a virtual machine's
 * stolen time), so every run (the three calibration runs and the job) is measured in each of {@link #ROUNDS}
 * interleaved rounds and each figure is its least: a burst inflates one round's figures, not every round's. So the
 * comparison tests what it should, that a model calibrated on some workloads predicts another. The 30% tolerance
 * is the issue's: the model is linear in steps and multiply-adds and leaves out memory traffic, which on the CPU
 * grows with the batch's width, and the few extra steps that deferred tokens add.
 *
 * <p>The schedule the estimate simulates is checked against the engine's own counts: the same prompt and generated
 * tokens exactly, and the steps within 10% (steps in flight run a few steps more than one at a time).
 */
class EstimateAccuracyTest {

    private static final int VOCAB = 1024;
    /** Each run is measured this many times, interleaved; each figure is its least (see the class comment). */
    private static final int ROUNDS = 4;

    /** Without prefix caching: each round repeats its prompts, which would otherwise be read from the cache. */
    private static EngineConfig config() {
        return EngineConfig.builder(Fixtures.model("tiny-llama")).threads(2).maxBatchTokens(256)
                .maxRunningRequests(64).prefixCaching(EngineConfig.PrefixCaching.OFF).build();
    }

    /** CPU seconds the engine's threads have used so far. */
    private static double engineCpuSeconds() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long nanos = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            String name = thread.getName();
            if (name.startsWith("flood-") || name.startsWith("ForkJoinPool-")) {
                nanos += Math.max(0, threads.getThreadCpuTime(thread.getId()));
            }
        }
        return nanos / 1e9;
    }

    private static double run(FloodEngine engine, int[] promptLengths, int outputTokens, long seed) {
        Random random = new Random(seed);
        List<GenerateRequest> requests = new ArrayList<>();
        for (int length : promptLengths) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < length; i++) {
                ids.add(3 + random.nextInt(VOCAB - 3));
            }
            requests.add(GenerateRequest.ofTokens(ids, SamplingParams.builder().maxNewTokens(outputTokens)
                    .ignoreEos().build()));
        }
        double before = engineCpuSeconds();
        for (GenerationResult result : engine.generate(requests)) {
            assertEquals(outputTokens, result.completionTokens(), result.error());
        }
        return engineCpuSeconds() - before;
    }

    private static int[] lengths(int count, int from, int to, long seed) {
        Random random = new Random(seed);
        int[] lengths = new int[count];
        for (int i = 0; i < count; i++) {
            lengths[i] = from + random.nextInt(to - from + 1);
        }
        return lengths;
    }

    @Test
    void theEstimateOfAFewHundredRowsIsWithin30PercentOfTheMeasuredTime() {
        EngineConfig config = config();
        int[] mixed = lengths(48, 20, 400, 2);
        int[] probe = {MeasuredRun.PROBE_PROMPT_TOKENS};
        int[] job = lengths(300, 5, 150, 4);
        int outputTokens = 40;
        try (FloodEngine engine = FloodEngine.open(config)) {
            ModelConfig model = engine.modelConfig();
            int[] longPrompts = new int[MeasuredRun.LONG_PROBE_REQUESTS];
            Arrays.fill(longPrompts, MeasuredRun.longProbePromptTokens(model.maxPositions(), config.maxBatchTokens()));
            int cacheTokens = engine.metrics().cache().capacityTokens();
            // warm-up: the JIT compiles the hot paths before anything is measured
            run(engine, lengths(64, 10, 200, 1), 24, 1);
            double[] seconds = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            long[] jobCounts = null;
            for (int round = 0; round < ROUNDS; round++) {
                seconds[0] = Math.min(seconds[0], run(engine, mixed, 32, 2));
                seconds[1] = Math.min(seconds[1], run(engine, probe, MeasuredRun.PROBE_OUTPUT_TOKENS, 3));
                seconds[2] = Math.min(seconds[2], run(engine, longPrompts, MeasuredRun.LONG_PROBE_OUTPUT_TOKENS, 5));
                EngineMetrics before = engine.metrics();
                seconds[3] = Math.min(seconds[3], run(engine, job, outputTokens, 4));
                EngineMetrics after = engine.metrics();
                jobCounts = new long[] {after.steps() - before.steps(), after.promptTokens() - before.promptTokens(),
                        after.generatedTokens() - before.generatedTokens()};
            }
            ThroughputModel fitted = ThroughputModel.fit(List.of(
                    new MeasuredRun(mixed, 32, seconds[0]).observe(config, model, cacheTokens),
                    new MeasuredRun(probe, MeasuredRun.PROBE_OUTPUT_TOKENS, seconds[1])
                            .observe(config, model, cacheTokens),
                    new MeasuredRun(longPrompts, MeasuredRun.LONG_PROBE_OUTPUT_TOKENS, seconds[2])
                            .observe(config, model, cacheTokens)));
            Calibration calibration = new Calibration(Calibration.deviceOf(config), ModelShape.of(model).key(),
                    fitted, cacheTokens, config.maxBatchTokens(), config.maxRunningRequests(), 0, "safetensors",
                    "now");
            JobEstimate estimate = Estimator.estimate(config, model, JobSample.of(job.length, job, outputTokens),
                    calibration);

            double measured = seconds[3];
            double error = (estimate.computeSeconds().value() - measured) / measured;
            System.out.printf("fitted %s; job: estimated %.2f s of engine CPU time, measured %.2f s (%+.0f%%);"
                    + " steps %d simulated, %d run%n", fitted, estimate.computeSeconds().value(), measured,
                    100 * error, estimate.steps(), jobCounts[0]);
            assertTrue(Math.abs(error) < 0.3, "estimated " + estimate.computeSeconds().value() + " s, measured "
                    + measured + " s");
            assertTrue(Math.abs(estimate.steps() - jobCounts[0]) <= 0.1 * jobCounts[0], estimate.steps()
                    + " simulated steps, " + jobCounts[0] + " run");
            assertEquals(jobCounts[1], (long) estimate.promptTokens().value());
            assertEquals(jobCounts[2], estimate.generatedTokens());
        }
    }
}
