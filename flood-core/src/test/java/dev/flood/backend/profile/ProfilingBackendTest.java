package dev.flood.backend.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.CausalLM;
import dev.flood.sampling.SamplingState;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The profiler around the CPU backend with the host's clock: it must change nothing the model computes, file every
 * op of a step under its class, and add up (the classes and the gaps make the step).
 */
class ProfilingBackendTest {

    private static final Ceilings CEILINGS = new Ceilings(1e12, 1e14, 2e14);

    /** One request of {@code n} prompt tokens, prefilled whole, its last row sampled. */
    private static ForwardBatch prefill(int n) {
        int[] ids = IntStream.range(0, n).map(i -> 3 + 11 * i % 900).toArray();
        int[] positions = IntStream.range(0, n).toArray();
        return new ForwardBatch(ids, positions, positions.clone(), new int[] {0, n}, new int[] {n}, new int[] {0, 1},
                new int[] {0}, new int[] {n}, new int[] {n - 1});
    }

    private static float[] logits(CausalLM lm, CpuBackend cpu, ForwardBatch batch) {
        return cpu.toHost(lm.forward(batch));
    }

    @Test
    void profilingChangesNothingAndFilesEveryOp() throws Exception {
        ModelConfig config = ModelConfigReader.read(Fixtures.model("tiny-llama"));
        ForwardBatch batch = prefill(23);
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model("tiny-llama"));
             CpuBackend plain = new CpuBackend(2);
             ProfilingBackend profiled = new ProfilingBackend(new CpuBackend(2), new HostClock(), CEILINGS)) {
            CausalLM reference = CausalLM.load(config, weights, plain);
            CausalLM wrapped = CausalLM.load(config, weights, profiled);
            plain.allocateCache(config.numLayers(), 64, config.kvSize());
            profiled.allocateCache(config.numLayers(), 64, config.kvSize());
            float[] expected = logits(reference, plain, batch);

            Tensor out = wrapped.forward(batch);
            int[] token = profiled.sample(out, List.of(new SamplingState(SamplingParams.greedy(4), 1,
                    config.vocabSize(), new int[0])));
            float[] actual = profiled.toHost(out);
            StepBreakdown step = profiled.finishStep();

            assertArrayEquals(expected, actual, "the profiler is transparent");
            assertTrue(token[0] >= 0 && token[0] < config.vocabSize());
            int layers = config.numLayers();
            assertEquals(4 * layers + 1, step.of(OpClass.GEMM).ops(), "qkv, o, gate/up, down per layer and lm_head");
            assertEquals(layers, step.of(OpClass.ATTENTION).ops());
            // embedding, first norm; per layer rotary with the cache write, two add+norms, silu
            assertEquals(2 + 4 * layers, step.of(OpClass.NORM_ELEMENTWISE).ops());
            assertEquals(1, step.of(OpClass.SAMPLING).ops());
            assertEquals(3, step.of(OpClass.COPY).ops(), "step start, the logits row gather, the copy to the host");
            double inside = 0;
            for (OpClass c : OpClass.values()) {
                StepBreakdown.ClassTime time = step.of(c);
                // a dense model has no expert GEMMs
                assertTrue(time.millis() >= 0 && (c == OpClass.EXPERT_GEMM || time.floorMillis() > 0), c + ": " + time);
                inside += time.millis();
            }
            assertEquals(0, step.of(OpClass.EXPERT_GEMM).ops());
            assertEquals(step.stepMillis(), inside + step.gapMillis(), 1e-6, "classes and gaps make the step");
            assertEquals(step.floorMillis(), step.classes().values().stream()
                    .mapToDouble(StepBreakdown.ClassTime::floorMillis).sum(), 1e-9);
        }
    }

    @Test
    void stepDetailTimesOnlyTheWholeStep() throws Exception {
        ModelConfig config = ModelConfigReader.read(Fixtures.model("tiny-llama"));
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model("tiny-llama"));
             ProfilingBackend profiled = new ProfilingBackend(new CpuBackend(2), new HostClock(), CEILINGS)) {
            CausalLM lm = CausalLM.load(config, weights, profiled);
            profiled.allocateCache(config.numLayers(), 64, config.kvSize());
            profiled.detail(ProfilingBackend.Detail.STEP);
            lm.forward(prefill(9));
            StepBreakdown step = profiled.finishStep();
            for (OpClass c : OpClass.values()) {
                assertEquals(0, step.of(c).ops(), c + " has no timed ops");
            }
            assertEquals(step.stepMillis(), step.gapMillis(), 1e-9);
            assertTrue(step.stepMillis() > 0);
        }
    }

    @Test
    void aMixtureOfExpertsFilesItsExpertGemmsApart() throws Exception {
        ModelConfig config = ModelConfigReader.read(Fixtures.model("tiny-qwen3-moe"));
        ForwardBatch batch = prefill(19);
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model("tiny-qwen3-moe"));
             CpuBackend plain = new CpuBackend(2);
             ProfilingBackend profiled = new ProfilingBackend(new CpuBackend(2), new HostClock(), CEILINGS)) {
            CausalLM reference = CausalLM.load(config, weights, plain);
            CausalLM wrapped = CausalLM.load(config, weights, profiled);
            plain.allocateCache(config.numLayers(), 64, config.kvSize());
            profiled.allocateCache(config.numLayers(), 64, config.kvSize());
            float[] expected = logits(reference, plain, batch);
            float[] actual = profiled.toHost(wrapped.forward(batch));
            StepBreakdown step = profiled.finishStep();
            assertArrayEquals(expected, actual, "the profiler is transparent");
            int layers = config.numLayers();
            assertEquals(2 * layers, step.of(OpClass.EXPERT_GEMM).ops(), "gate/up and down of every sparse layer");
            assertTrue(step.of(OpClass.EXPERT_GEMM).floorMillis() > 0);
            assertEquals(3 * layers + 1, step.of(OpClass.GEMM).ops(), "qkv, o and the router per layer, lm_head");
        }
    }

    @Test
    void stepsMustBeBegunAndFinishedInTurn() {
        try (ProfilingBackend profiled = new ProfilingBackend(new CpuBackend(1), new HostClock(), CEILINGS)) {
            IllegalStateException notBegun = assertThrows(IllegalStateException.class, profiled::finishStep);
            assertEquals("no step was begun", notBegun.getMessage());
            profiled.allocateCache(1, 8, 4);
            profiled.beginStep(prefill(2));
            IllegalStateException twice = assertThrows(IllegalStateException.class,
                    () -> profiled.beginStep(prefill(2)));
            assertEquals("the previous step was not finished (finishStep)", twice.getMessage());
            assertThrows(IllegalStateException.class, () -> profiled.detail(ProfilingBackend.Detail.STEP));
        }
    }

    @Test
    void medianTakesEachFigureAcrossStepsAndTheGapsMakeItAddUp() {
        StepBreakdown a = breakdown(10, 8, 2);
        StepBreakdown b = breakdown(30, 1, 29);
        StepBreakdown c = breakdown(20, 13, 7);
        StepBreakdown median = StepBreakdown.median(List.of(a, b, c));
        assertEquals(20, median.stepMillis());
        assertEquals(20 - 7, median.gapMillis(), "the median step less the median GEMM time (the gaps' median is 8)");
        assertEquals(7, median.of(OpClass.GEMM).millis());
        assertEquals(4.0, median.of(OpClass.GEMM).floorMillis());
    }

    private static StepBreakdown breakdown(double step, double gaps, double gemm) {
        java.util.Map<OpClass, StepBreakdown.ClassTime> classes = new java.util.EnumMap<>(OpClass.class);
        for (OpClass c : OpClass.values()) {
            classes.put(c, new StepBreakdown.ClassTime(1, c == OpClass.GEMM ? gemm : 0, c == OpClass.GEMM ? 4 : 0));
        }
        return new StepBreakdown(step, gaps, classes);
    }
}
