package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ForwardBatch;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.CausalLM;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The whole model on the CUDA backend, one forward pass per reference prompt (slots in reverse order, one extent
 * per token), against Hugging Face's float32 logits and against the CPU backend. Tolerance 2e-2 relative
 * (‖out − ref‖ / ‖ref‖): the GEMM inputs and the KV cache are bf16 (2^-9 relative rounding each) over two or
 * three layers; the fixtures' README expects about 1e-2 for a bf16 path.
 */
@Tag("gpu")
class CudaModelTest {

    static final List<String> MODELS = Fixtures.MODELS;
    private static final double TOLERANCE = 2e-2;

    /**
     * The prompt as one request whose context lies in three extents out of order in a 512-slot cache: its first
     * third at slot 400, its second at 100, the rest at 250 (prompts are at most 59 tokens).
     */
    private static ForwardBatch threeExtents(int[] tokenIds) {
        int n = tokenIds.length;
        int[] lengths = {n / 3, n / 3, n - 2 * (n / 3)};
        int[] starts = {400, 100, 250};
        int[] slots = new int[n];
        int token = 0;
        for (int e = 0; e < 3; e++) {
            for (int i = 0; i < lengths[e]; i++) {
                slots[token++] = starts[e] + i;
            }
        }
        return new ForwardBatch(tokenIds, IntStream.range(0, n).toArray(), slots, new int[] {0, n}, new int[] {n},
                new int[] {0, 3}, starts, lengths, new int[] {n - 1});
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void lastLogitsMatchTransformersAndTheCpuBackend(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        try (CudaBackend cuda = CudaBackend.open(0, LaunchChecking.SYNCHRONOUS);
             CpuBackend cpu = new CpuBackend(4);
             SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            CausalLM onGpu = CausalLM.load(config, weights, cuda);
            CausalLM onCpu = CausalLM.load(config, weights, cpu);
            cuda.allocateCache(config.numLayers(), config.maxPositions(), config.kvSize());
            cpu.allocateCache(config.numLayers(), config.maxPositions(), config.kvSize());
            for (Fixtures.Case c : Fixtures.cases(name)) {
                ForwardBatch batch = threeExtents(c.inputIds());
                float[] gpuLogits = cuda.toHost(onGpu.forward(batch));
                double vsReference = BackendPair.relativeError(gpuLogits, c.lastLogits());
                double vsCpu = BackendPair.relativeError(gpuLogits, cpu.toHost(onCpu.forward(batch)));
                System.out.printf("%s '%s': logits relative error %.2e vs transformers, %.2e vs CPU%n", name,
                        c.prompt(), vsReference, vsCpu);
                assertTrue(vsReference <= TOLERANCE, name + " '" + c.prompt() + "': vs transformers " + vsReference);
                assertTrue(vsCpu <= TOLERANCE, name + " '" + c.prompt() + "': vs CPU backend " + vsCpu);
            }
        }
    }
}
