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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An FP8 copy of the tiny-llama fixture in each of the three layouts (written as transformers and llm-compressor
 * write them), and of the two mixture-of-experts fixtures with their experts in FP8, runs on the float32 CPU
 * backend, which reads its weights dequantized: the last logits stay within 20% of the bf16 checkpoint's and differ
 * from them (the FP8 weights were used). E4M3 keeps 3 mantissa bits: up to 6% rounding per weight, about 2.5% RMS;
 * on these random 3-layer models of width 64 the logits moved 5-11% (their logits are small, so the noise is large
 * beside them). The loader's dequantization itself is checked exactly in
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
        assertFp8CopyCloseToBf16("tiny-llama", scaling, null);
    }

    /**
     * A mixture of experts in FP8 (Qwen3-30B-A3B-FP8 is in transformers' 128 x 128 blocks, Mixtral's FP8 copies in
     * compressed-tensors' channels): its experts are stored in FP8 too, and read dequantized.
     */
    @ParameterizedTest
    @CsvSource({"tiny-qwen3-moe, BLOCK_128, model.layers.1.mlp.experts.5.down_proj.weight",
        "tiny-mixtral, PER_CHANNEL, model.layers.1.block_sparse_moe.experts.3.w2.weight"})
    void anFp8MixtureOfExpertsRunsOnTheCpuCloseToBf16(String fixture, Fp8Scaling scaling, String expertWeight) {
        assertFp8CopyCloseToBf16(fixture, scaling, expertWeight);
    }

    /** {@code fp8Weight}: a weight the copy must store in FP8, or null. */
    private void assertFp8CopyCloseToBf16(String fixture, Fp8Scaling scaling, String fp8Weight) {
        Path bf16 = Fixtures.model(fixture);
        Path fp8 = Fp8Checkpoints.write(bf16, dir.resolve(fixture + "-" + scaling.name()), scaling);
        float[] expected;
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(bf16)) {
            expected = lastLogits(bf16, weights);
        }
        float[] actual;
        try (WeightSource weights = QuantizedCheckpoint.open(fp8)) {
            assertTrue(weights instanceof QuantizedCheckpoint, "read as quantized");
            if (fp8Weight != null) {
                try (SafetensorsCheckpoint plain = SafetensorsCheckpoint.open(bf16)) {
                    long[] shape = plain.shape(fp8Weight);
                    assertTrue(weights.loadFp8(fp8Weight, shape[0], shape[1]).isPresent(), fp8Weight + " in FP8");
                }
            }
            actual = lastLogits(fp8, weights);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (double) (actual[i] - expected[i]);
            norm += expected[i] * (double) expected[i];
        }
        double error = Math.sqrt(diff / norm);
        System.out.printf("%s FP8 %s on the CPU: last logits relative error %.2e vs bf16%n", fixture, scaling,
                error);
        assertTrue(error < 0.2, fixture + " " + scaling + ": relative error " + error);
        assertTrue(error > 1e-6, fixture + " " + scaling + ": the FP8 weights were not used (error " + error + ")");
    }
}
