package dev.flood.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepLimits;
import dev.flood.backend.cuda.CudaBackend;
import dev.flood.backend.profile.Ceilings;
import dev.flood.backend.profile.OpClass;
import dev.flood.backend.profile.ProfilingBackend;
import dev.flood.backend.profile.StepBreakdown;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.CausalLM;
import dev.flood.sampling.Draw;
import dev.flood.sampling.SamplingState;
import dev.flood.weights.DummyWeights;
import dev.flood.weights.QuantizedCheckpoint;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * {@code flood bench --profile}: where one GPU step's time goes. Measures the device's ceilings, loads the model on
 * the CUDA backend behind a {@link ProfilingBackend}, fills the KV cache with random values, then times the
 * decode-only and mixed steps of {@link ProfileSteps} as the engine runs a step (forward, the outputs launched:
 * greedy draws of every logits row, the step ended, the outputs awaited), one step at a time:
 * {@value #WARMUP_STEPS} warm-up steps, {@value #MEASURED_STEPS} steps timed op by op (median per class), and
 * {@value #MEASURED_STEPS} steps timed whole, without the per-op marks.
 */
final class StepProfile {

    private static final int WARMUP_STEPS = 3;
    private static final int MEASURED_STEPS = 10;
    private static final long CACHE_SEED = 17;

    private StepProfile() {
    }

    /** Runs the profile; the report as JSON ({@link #table} renders it). */
    static ObjectNode run(EngineConfig config, Workload workload, int outputTokens) {
        if (!config.backend().equals("cuda")) {
            throw new FloodException("--profile times GPU steps with CUDA events; use it with --backend cuda");
        }
        ModelConfig model = ModelConfigReader.read(config.modelPath());
        // Eager: the profile's CUDA events between ops time each kernel, which a captured graph would not.
        CudaBackend cuda = CudaBackend.open(config.toBuilder().cudaGraphs(EngineConfig.CudaGraphs.OFF).build(), 0);
        Ceilings ceilings;
        ProfilingBackend profiling;
        try {
            ceilings = cuda.measureCeilings();
            profiling = new ProfilingBackend(cuda, cuda.eventClock(), ceilings);
        } catch (RuntimeException e) {
            cuda.close();
            throw e;
        }
        try (ProfilingBackend backend = profiling) {
            CausalLM lm;
            try (WeightSource weights = config.loadFormat() == EngineConfig.LoadFormat.DUMMY
                    ? new DummyWeights(model, config.seed()) : QuantizedCheckpoint.open(config.modelPath())) {
                lm = CausalLM.load(model, weights, backend);
            }
            // One step at a time: the profile waits for each step, so one set of step buffers is enough.
            EngineConfig resolved = StepLimits.resolve(config, model, List.of(backend)).toBuilder().stepsInFlight(1)
                    .build();
            Workload profiled = new Workload(workload.name(), workload.inputLengths(), outputTokens,
                    workload.systemPromptTokens());
            ProfileSteps steps = ProfileSteps.of(profiled, resolved.maxRunningRequests(), resolved.maxBatchTokens(),
                    model.vocabSize(), model.maxPositions());
            backend.prepareSteps(model, resolved);
            int fits = backend.suggestCacheTokens(model.numLayers(), model, resolved);
            if (fits < steps.capacityTokens()) {
                throw new FloodException("the profiled steps need a cache of " + steps.capacityTokens()
                        + " tokens and the GPU holds " + fits + "; lower --max-running or --max-batch-tokens");
            }
            backend.allocateCache(model.numLayers(), steps.capacityTokens(), model.kvSize());
            cuda.fillCacheUniform(CACHE_SEED);
            ObjectNode report = header(config, resolved, cuda, ceilings);
            ArrayNode measured = report.putArray("steps");
            List<ProfileSteps.Step> cases = new ArrayList<>(List.of(steps.decode()));
            steps.mixed().ifPresent(cases::add);
            for (ProfileSteps.Step step : cases) {
                measured.add(profile(backend, lm, step, outputTokens));
            }
            return report;
        }
    }

    private static ObjectNode header(EngineConfig config, EngineConfig resolved, CudaBackend cuda, Ceilings ceilings) {
        ObjectNode report = JsonNodeFactory.instance.objectNode();
        report.put("model", config.modelPath().toString());
        report.put("load_format", config.loadFormat().name().toLowerCase(Locale.ROOT));
        report.put("device", cuda.deviceName());
        report.put("quantization", config.quantization().name().toLowerCase(Locale.ROOT));
        report.put("max_running", resolved.maxRunningRequests());
        report.put("max_batch_tokens", resolved.maxBatchTokens());
        ObjectNode c = report.putObject("ceilings");
        c.put("copy_gb_per_s", ceilings.copyBytesPerSecond() / 1e9);
        c.put("bf16_gemm_tflop_per_s", ceilings.bf16GemmFlopsPerSecond() / 1e12);
        c.put("fp8_gemm_tflop_per_s", ceilings.fp8GemmFlopsPerSecond() / 1e12);
        return report;
    }

    private static ObjectNode profile(ProfilingBackend backend, CausalLM lm, ProfileSteps.Step step, int outputTokens) {
        int[] allRows = IntStream.range(0, step.batch().logitRows().length).toArray();
        List<Draw> draws = new ArrayList<>();
        for (int i = 0; i < allRows.length; i++) {
            draws.add(Draw.next(new SamplingState(SamplingParams.greedy(outputTokens), i, lm.config().vocabSize(),
                    new int[0])));
        }
        OutputSpec spec = new OutputSpec(allRows, draws, new int[0], new int[0]);
        // As the engine runs a step: forward, the outputs launched, the step ended, the outputs awaited.
        Runnable run = () -> {
            StepHead head = lm.forwardHead(step.batch());
            PendingOutputs outputs = head.logits() == null ? null : backend.launchOutputs(head, spec);
            backend.endStep();
            if (outputs != null) {
                outputs.await();
            }
        };
        backend.detail(ProfilingBackend.Detail.STEP);
        for (int i = 0; i < WARMUP_STEPS; i++) {
            run.run();
            backend.finishStep();
        }
        List<StepBreakdown> unprofiled = new ArrayList<>();
        for (int i = 0; i < MEASURED_STEPS; i++) {
            run.run();
            unprofiled.add(backend.finishStep());
        }
        backend.detail(ProfilingBackend.Detail.OPS);
        List<StepBreakdown> profiled = new ArrayList<>();
        for (int i = 0; i < MEASURED_STEPS; i++) {
            run.run();
            profiled.add(backend.finishStep());
        }
        return stepNode(step, StepBreakdown.median(profiled), StepBreakdown.median(unprofiled).stepMillis());
    }

    /** One step's figures: the median breakdown of its op-by-op runs and its median time without op marks. */
    static ObjectNode stepNode(ProfileSteps.Step step, StepBreakdown median, double unprofiledMillis) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("name", step.name());
        node.put("tokens", step.batch().numTokens());
        node.put("decodes", step.decodes());
        node.put("prefill_tokens", step.prefillTokens());
        node.put("mean_decode_context", step.meanDecodeContext());
        node.put("step_ms", median.stepMillis());
        node.put("step_ms_unprofiled", unprofiledMillis);
        node.put("floor_ms", median.floorMillis());
        node.put("gaps_ms", median.gapMillis());
        ArrayNode classes = node.putArray("classes");
        for (OpClass c : OpClass.values()) {
            StepBreakdown.ClassTime time = median.of(c);
            ObjectNode row = classes.addObject();
            row.put("class", c.label());
            row.put("ops", time.ops());
            row.put("ms", time.millis());
            row.put("floor_ms", time.floorMillis());
        }
        return node;
    }

    /** The report as a table for people. */
    static String table(ObjectNode r) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Step profile of %s (%s weights, quantization %s) on %s: %d running, steps"
                        + " of %,d tokens%n", r.get("model").asText(), r.get("load_format").asText(),
                r.get("quantization").asText(), r.get("device").asText(), r.get("max_running").asInt(),
                r.get("max_batch_tokens").asInt()));
        ObjectNode c = (ObjectNode) r.get("ceilings");
        t.append(String.format(Locale.ROOT, "Ceilings measured: copy %,.0f GB/s (read + write), GEMM %,.0f TFLOP/s"
                        + " bf16, %,.0f TFLOP/s fp8%n", c.get("copy_gb_per_s").asDouble(),
                c.get("bf16_gemm_tflop_per_s").asDouble(), c.get("fp8_gemm_tflop_per_s").asDouble()));
        for (var step : r.get("steps")) {
            t.append(String.format(Locale.ROOT, "%n%s step: %d tokens (%d decodes, mean context %.0f; %d prefill"
                            + " tokens), median of %d%n", step.get("name").asText(), step.get("tokens").asInt(),
                    step.get("decodes").asInt(), step.get("mean_decode_context").asDouble(),
                    step.get("prefill_tokens").asInt(), MEASURED_STEPS));
            t.append(String.format(Locale.ROOT, "  %-22s %5s %12s %10s %10s%n", "class", "ops", "measured ms",
                    "floor ms", "x floor"));
            for (var row : step.get("classes")) {
                double ms = row.get("ms").asDouble();
                double floor = row.get("floor_ms").asDouble();
                String ratio = floor > 0 ? String.format(Locale.ROOT, "%.2f", ms / floor) : "-";
                t.append(String.format(Locale.ROOT, "  %-22s %5d %12.3f %10.3f %10s%n", row.get("class").asText(),
                        row.get("ops").asInt(), ms, floor, ratio));
            }
            t.append(String.format(Locale.ROOT, "  %-22s %5s %12.3f %10s %10s%n", "gaps between ops", "",
                    step.get("gaps_ms").asDouble(), "-", "-"));
            double stepMs = step.get("step_ms").asDouble();
            double floorMs = step.get("floor_ms").asDouble();
            t.append(String.format(Locale.ROOT, "  %-22s %5s %12.3f %10.3f %10.2f%n", "step", "", stepMs, floorMs,
                    stepMs / floorMs));
            t.append(String.format(Locale.ROOT, "  %-22s %5s %12.3f%n", "step without op marks", "",
                    step.get("step_ms_unprofiled").asDouble()));
        }
        return t.toString().stripTrailing();
    }
}
