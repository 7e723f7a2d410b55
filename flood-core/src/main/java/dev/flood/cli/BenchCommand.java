package dev.flood.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.CacheStats;
import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import dev.flood.api.StageMetrics;
import dev.flood.estimate.Calibration;
import dev.flood.estimate.CalibrationStore;
import dev.flood.estimate.MeasuredRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code flood bench}: workload W or W-shared ({@link Workload}) through the engine, every request submitted at
 * once as a bulk job would. Measured from the first submit to the last token, after a short warm-up: output and
 * total tokens/s, time to first token and time per output token percentiles, the engine's batch and cache use,
 * the prompt tokens computed and those read from the prefix cache, and each pipeline stage's idle time between
 * steps as a share of its step time ({@link StageMetrics}). With {@code --calibration FILE} ({@code ./flood}
 * gives {@code ~/.flood/calibration.json}) it then calibrates {@code flood estimate} for this device and model
 * shape ({@link BenchCalibration}).
 */
final class BenchCommand implements Command {

    private static final String SECTION = "Workload";
    private static final Workload WORKLOAD = Workload.w();
    /** Warm-up requests (excluded from the measurement): short prompts, a few tokens each. */
    private static final int WARMUP_REQUESTS = 4;
    private static final int WARMUP_PROMPT_TOKENS = 16;
    private static final int WARMUP_OUTPUT_TOKENS = 4;
    /** How often the cache's occupancy is sampled while the workload runs. */
    private static final long CACHE_SAMPLE_MILLIS = 50;

    private static final List<Option> OPTIONS = Stream.of(
            EngineOptions.OPTIONS,
            List.of(
                    Option.value(SECTION, "workload", "NAME", "W (default) or W-shared: W's prompts behind one"
                            + " 1,000-token system prompt, which prefix caching computes once"),
                    Option.value(SECTION, "prompts", "N", "run the first N of the workload's "
                            + WORKLOAD.inputLengths().size() + " prompts (default all)"),
                    Option.value(SECTION, "output-tokens", "N", "tokens generated per prompt, greedy, EOS ignored "
                            + "(default " + WORKLOAD.outputTokens() + ")"),
                    Option.value(SECTION, BenchConstraint.OPTION, "FILE", "constrain every request to this JSON schema"
                            + " (EOS allowed where the JSON is complete; --output-tokens is then the most per prompt)"),
                    Option.flag(SECTION, "json", "print one JSON object instead of a table"),
                    Option.flag(SECTION, "profile", "instead of the workload, time one decode-only and one mixed"
                            + " step per op class with CUDA events, beside each class's roofline floor (backend"
                            + " cuda; --max-running and --max-batch-tokens shape the steps)"),
                    Option.value(SECTION, "calibration", "FILE", "after the workload, calibrate flood estimate for"
                            + " this device and model shape and save it in FILE (./flood: ~/.flood/calibration.json)")))
            .flatMap(List::stream).toList();

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "Throughput benchmark: workload W (ShareGPT-like prompt lengths), output and total tokens/s, latencies.";
    }

    @Override
    public String synopsis() {
        return "flood bench --model DIR [--load-format dummy] [--workload W|W-shared] [--prompts N] [--output-tokens N]"
                + " [--json-schema FILE]"
                + " [--json] [--profile] [options]";
    }

    @Override
    public String outputHelp() {
        return "Output: output and total tokens/s, time to first token and time per output token percentiles,"
                + " mean running batch and cache use, as a table or (--json) one JSON object.";
    }

    @Override
    public String exitStatus() {
        return """
                Exit status:
                  0  every request ran
                  1  a request failed (the run is not a measurement), or the model could not be read
                  2  the command line is wrong
                """;
    }

    @Override
    public List<Option> options() {
        return OPTIONS;
    }

    @Override
    public int run(ParsedArgs args, Streams streams) throws UsageException {
        EngineConfig options = EngineOptions.config(args);
        BenchConstraint constraint = BenchConstraint.of(args, options, streams);
        EngineConfig config = constraint == null ? options : constraint.config();
        Workload workload;
        try {
            workload = Workload.generation(args.string("workload", "W"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--workload: " + e.getMessage());
        }
        int numPrompts = args.intValue("prompts", workload.inputLengths().size(), 1);
        if (numPrompts > workload.inputLengths().size()) {
            throw new UsageException("--prompts must be at most " + workload.inputLengths().size()
                    + " (workload " + workload.name() + "'s size), got " + numPrompts);
        }
        int outputTokens = args.intValue("output-tokens", workload.outputTokens(), 1);
        if (args.flag("profile")) {
            ObjectNode profile = StepProfile.run(config, WORKLOAD, outputTokens);
            streams.out().println(args.flag("json") ? TextSink.json(profile) : StepProfile.table(profile));
            return Main.OK;
        }
        long opening = System.nanoTime();
        try (FloodEngine engine = FloodEngine.open(config)) {
            double openSeconds = (System.nanoTime() - opening) / 1e9;
            int context = engine.modelConfig().maxPositions();
            if (outputTokens >= context) {
                throw new UsageException("--output-tokens " + outputTokens + " leaves no room for a prompt in the "
                        + "model's context of " + context + " tokens");
            }
            int vocabSize = engine.modelConfig().vocabSize();
            int maxPromptTokens = context - outputTokens;
            int maxOwnTokens = maxPromptTokens - workload.systemPromptTokens();
            if (maxOwnTokens < 1) {
                throw new UsageException("workload " + workload.name() + "'s system prompt of "
                        + workload.systemPromptTokens() + " tokens and --output-tokens " + outputTokens
                        + " leave no room for a prompt in the model's context of " + context + " tokens");
            }
            warmUp(engine, vocabSize, Math.min(WARMUP_PROMPT_TOKENS, maxPromptTokens), constraint);

            List<List<Integer>> prompts = new ArrayList<>();
            int clamped = 0;
            for (int i = 0; i < numPrompts; i++) {
                int length = workload.inputLengths().get(i);
                clamped += length > maxOwnTokens ? 1 : 0;
                prompts.add(workload.prompt(i, Math.min(length, maxOwnTokens), vocabSize));
            }
            if (clamped > 0) {
                streams.err().printf(Locale.ROOT, "bench: %d of %d prompts clamped to %d tokens (the model's context "
                        + "of %d minus %d output tokens)%n", clamped, numPrompts, maxPromptTokens, context, outputTokens);
            }
            Run run = measure(engine, prompts, request(outputTokens, constraint), streams);
            ObjectNode report = report(engine.config(), workload, run, outputTokens, clamped);
            if (constraint != null) {
                report.put("response_format", "json_schema " + args.path(BenchConstraint.OPTION));
                report.put("finished_complete", run.results().stream().filter(r -> !r.isError() && r.isUsable())
                        .count());
            }
            Path calibrationFile = args.path("calibration");
            if (calibrationFile != null && run.firstError() == null) {
                MeasuredRun measured = new MeasuredRun(prompts.stream().mapToInt(List::size).toArray(), outputTokens,
                        run.times().wallSeconds());
                Calibration calibration = BenchCalibration.calibrate(engine, engine.config(), measured, openSeconds);
                new CalibrationStore(calibrationFile).save(calibration);
                streams.err().println("bench: calibrated flood estimate for " + calibration.device() + " and "
                        + calibration.modelShape() + ": " + BenchCalibration.describe(calibration.model())
                        + "; saved in " + calibrationFile);
                ObjectNode saved = report.putObject("calibration");
                saved.put("device", calibration.device());
                saved.put("model_shape", calibration.modelShape());
                saved.put("seconds_per_step", calibration.model().secondsPerStep());
                saved.put("seconds_per_gmac", calibration.model().secondsPerGigaMac());
                saved.put("seconds_per_attention_gmac", calibration.model().secondsPerAttentionGigaMac());
                saved.put("file", calibrationFile.toString());
            }
            streams.out().println(args.flag("json") ? TextSink.json(report) : BenchReport.table(report));
            if (run.firstError() != null) {
                streams.err().println("bench: " + report.get("failed").asLong() + " requests failed; the first: "
                        + run.firstError());
                return Main.FAILED;
            }
        }
        return Main.OK;
    }

    /**
     * The measured requests' shape: greedy with EOS ignored, or greedy under the constraint (which compiles the
     * schema in the warm-up, so the measurement starts with its masks cached as a long job would have them).
     */
    private static Function<List<Integer>, GenerateRequest> request(int outputTokens, BenchConstraint constraint) {
        if (constraint == null) {
            SamplingParams params = SamplingParams.builder().maxNewTokens(outputTokens).ignoreEos().build();
            return prompt -> GenerateRequest.ofTokens(prompt, params);
        }
        SamplingParams params = SamplingParams.builder().maxNewTokens(outputTokens).build();
        return prompt -> GenerateRequest.ofTokens(prompt, params).withResponseFormat(constraint.format());
    }

    private static void warmUp(FloodEngine engine, int vocabSize, int promptTokens, BenchConstraint constraint) {
        Function<List<Integer>, GenerateRequest> request = request(WARMUP_OUTPUT_TOKENS, constraint);
        List<GenerateRequest> requests = new ArrayList<>();
        for (List<Integer> prompt : Workload.warmUpPrompts(WARMUP_REQUESTS, promptTokens, vocabSize)) {
            requests.add(request.apply(prompt));
        }
        String error = engine.generate(requests).stream().filter(GenerationResult::isError)
                .map(GenerationResult::error).findFirst().orElse(null);
        if (error != null) {
            throw new FloodException("the warm-up failed: " + error);
        }
    }

    /** What one measured run produced, with the engine's counters before and after it. */
    private record Run(List<GenerationResult> results, RequestTimes times, EngineMetrics before, EngineMetrics after,
                       double meanCacheUse, double peakCacheUse) {

        String firstError() {
            return results.stream().filter(GenerationResult::isError).map(GenerationResult::error).findFirst()
                    .orElse(null);
        }
    }

    private static Run measure(FloodEngine engine, List<List<Integer>> prompts,
                               Function<List<Integer>, GenerateRequest> request, Streams streams) {
        RequestTimes times = new RequestTimes(prompts.size());
        Progress progress = new Progress(streams, "bench", prompts.size());
        EngineMetrics before = engine.metrics();
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            GenerationListener listener = times.listener(i);
            times.submitted(i);
            futures.add(engine.submit(request.apply(prompts.get(i)), listener)
                    .whenComplete((result, error) -> progress.advance()));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
        double cacheUseSum = 0;
        double peakCacheUse = 0;
        int samples = 0;
        while (true) {
            CacheStats cache = engine.metrics().cache();
            double use = cache.capacityTokens() == 0 ? 0 : (double) cache.usedTokens() / cache.capacityTokens();
            cacheUseSum += use;
            peakCacheUse = Math.max(peakCacheUse, use);
            samples++;
            try {
                all.get(CACHE_SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the benchmark ran", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a benchmark request failed unexpectedly", e.getCause());
            }
        }
        progress.finish();
        List<GenerationResult> results = futures.stream().map(CompletableFuture::join).toList();
        return new Run(results, times, before, engine.metrics(),
                cacheUseSum / samples, peakCacheUse);
    }

    private static ObjectNode report(EngineConfig config, Workload workload, Run run, int outputTokens,
                                     int clampedPrompts) {
        long promptTokens = 0;
        long generatedTokens = 0;
        long failed = 0;
        for (GenerationResult result : run.results()) {
            promptTokens += result.promptTokens();
            generatedTokens += result.completionTokens();
            failed += result.isError() ? 1 : 0;
        }
        double seconds = run.times().wallSeconds();
        long steps = run.after().steps() - run.before().steps();
        double runningSum = run.after().meanRunningBatch() * run.after().steps()
                - run.before().meanRunningBatch() * run.before().steps();
        ObjectNode report = JsonNodeFactory.instance.objectNode();
        report.put("workload", workload.name());
        report.put("model", config.modelPath().toString());
        report.put("backend", config.backend());
        report.put("load_format", config.loadFormat().name().toLowerCase(Locale.ROOT));
        report.put("prompts", run.results().size());
        report.put("output_tokens_per_prompt", outputTokens);
        report.put("clamped_prompts", clampedPrompts);
        report.put("failed", failed);
        report.put("prompt_tokens", promptTokens);
        report.put("generated_tokens", generatedTokens);
        report.put("seconds", seconds);
        report.put("output_tokens_per_second", generatedTokens / seconds);
        report.put("total_tokens_per_second", (promptTokens + generatedTokens) / seconds);
        putPercentiles(report, "ttft_ms", run.times().timeToFirstTokenMillis());
        putPercentiles(report, "tpot_ms", run.times().timePerOutputTokenMillis(run.results()));
        report.put("steps", steps);
        report.put("mean_running_batch", steps == 0 ? 0 : runningSum / steps);
        report.put("mean_cache_use", run.meanCacheUse());
        report.put("peak_cache_use", run.peakCacheUse());
        report.put("cache_capacity_tokens", run.after().cache().capacityTokens());
        report.put("peak_gpu_memory_gib", run.after().peakDeviceMemoryBytes() / (double) (1L << 30));
        report.put("preemptions", run.after().preemptions() - run.before().preemptions());
        report.put("engine_restarts", run.after().engineRestarts() - run.before().engineRestarts());
        putPrefixCache(report, config, run.before(), run.after());
        putStages(report, run.before().stages(), run.after().stages());
        report.put("steps_in_flight", config.maxStepsInFlight());
        report.put("cuda_graphs", config.backend().equals("cuda") && config.cudaGraphs() == EngineConfig.CudaGraphs.ON
                ? "on" : "off");
        report.put("threads", config.threads());
        report.put("max_running", config.maxRunningRequests());
        report.put("max_batch_tokens", config.maxBatchTokens());
        return report;
    }

    /**
     * Per stage, over the measured run: device step and idle seconds, and idle as a share of step time;
     * {@code idle_share} is the largest stage's.
     */
    private static void putStages(ObjectNode report, List<StageMetrics> before, List<StageMetrics> after) {
        ArrayNode stages = report.putArray("stages");
        double worst = 0;
        for (int k = 0; k < after.size(); k++) {
            StageMetrics a = after.get(k);
            StageMetrics b = before.get(k);
            double busy = a.busySeconds() - b.busySeconds();
            double idle = a.idleSeconds() - b.idleSeconds();
            double share = busy == 0 ? 0 : idle / busy;
            worst = Math.max(worst, share);
            ObjectNode stage = stages.addObject();
            stage.put("stage", a.stage());
            stage.put("device", a.device());
            stage.put("layers", a.firstLayer() + "-" + (a.endLayer() - 1));
            stage.put("steps", a.steps() - b.steps());
            stage.put("step_seconds", busy);
            stage.put("idle_seconds", idle);
            stage.put("idle_share", share);
        }
        report.put("idle_share", worst);
    }

    /**
     * Over the measured run: prompt tokens computed (recomputation after preemption included) and read from the
     * prefix cache, the share of the looked-up prompt tokens read, and the cached prefixes at the end.
     */
    private static void putPrefixCache(ObjectNode report, EngineConfig config, EngineMetrics before,
                                       EngineMetrics after) {
        long lookedUp = after.prefixCache().lookedUpTokens() - before.prefixCache().lookedUpTokens();
        long fromCache = after.prefixCache().hitTokens() - before.prefixCache().hitTokens();
        report.put("prefix_caching", config.prefixCaching().name().toLowerCase(Locale.ROOT));
        report.put("prompt_tokens_computed", after.promptTokens() - before.promptTokens());
        report.put("prompt_tokens_from_cache", fromCache);
        report.put("prefix_cache_hit_rate", lookedUp == 0 ? 0 : (double) fromCache / lookedUp);
        report.put("cached_tokens", after.cache().cachedTokens());
        report.put("cached_extents", after.cache().cachedExtents());
    }

    private static void putPercentiles(ObjectNode report, String key, double[] sample) {
        Percentiles percentiles = Percentiles.of(sample);
        ObjectNode node = report.putObject(key);
        JsonFields.putFinite(node, "p50", percentiles.p50());
        JsonFields.putFinite(node, "p90", percentiles.p90());
        JsonFields.putFinite(node, "p99", percentiles.p99());
    }
}
