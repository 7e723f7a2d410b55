package dev.flood.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ForwardBatch;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import dev.flood.testing.Fp8Checkpoints;
import dev.flood.weights.Fp8Scaling;
import dev.flood.weights.QuantizedCheckpoint;
import dev.flood.weights.SafetensorsCheckpoint;
import dev.flood.weights.WeightSource;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An FP8 copy of the tiny-llama fixture in each of the three layouts (written as transformers and llm-compressor
 * write them) runs on the float32 CPU backend, which reads its weights dequantized: the last logits stay within
 * 20% of the bf16 checkpoint's and differ from them (the FP8 weights were used). E4M3 keeps 3 mantissa bits: up to
 * 6% rounding per weight, about 2.5% RMS; on this random 3-layer model of width 64 the logits moved 7-11% (its
 * logits are small, so the noise is large beside them). The loader's dequantization itself is checked exactly in
 * QuantizedCheckpointTest, the accuracy on a trained model in Fp8SimulationTest.
 */
class Fp8CheckpointTest {

    @TempDir
    Path dir;

    private static float[] lastLogits(Path model, WeightSource weights) {
        ModelConfig config = ModelConfigReader.read(model);
        try (CpuBackend cpu = new CpuBackend(2)) {
            CausalLM lm = CausalLM.load(config, weights, cpu);
            cpu.allocateCache(config.numLayers(), 64, config.kvSize());
            int n = 41;
            int[] ids = IntStream.range(0, n).map(i -> 5 + 37 * i % 1000).toArray();
            int[] positions = IntStream.range(0, n).toArray();
            return cpu.toHost(lm.forward(new ForwardBatch(ids, positions, positions.clone(), new int[] {0, n},
                    new int[] {n}, new int[] {0, 1}, new int[] {0}, new int[] {n}, new int[] {n - 1})));
        }
    }

    @ParameterizedTest
    @EnumSource(Fp8Scaling.class)
    void anFp8CopyRunsOnTheCpuCloseToBf16(Fp8Scaling scaling) {
        Path bf16 = Fixtures.model("tiny-llama");
        Path fp8 = Fp8Checkpoints.write(bf16, dir.resolve(scaling.name()), scaling);
        float[] expected;
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(bf16)) {
            expected = lastLogits(bf16, weights);
        }
        float[] actual;
        try (WeightSource weights = QuantizedCheckpoint.open(fp8)) {
            assertTrue(weights instanceof QuantizedCheckpoint, "read as quantized");
            actual = lastLogits(fp8, weights);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (double) (actual[i] - expected[i]);
            norm += expected[i] * (double) expected[i];
        }
        double error = Math.sqrt(diff / norm);
        System.out.printf("tiny-llama FP8 %s on the CPU: last logits relative error %.2e vs bf16%n", scaling, error);
        assertTrue(error < 0.2, scaling + ": relative error " + error);
        assertTrue(error > 1e-6, scaling + ": the FP8 weights were not used (error " + error + ")");
    }
}
