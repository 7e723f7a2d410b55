package dev.flood.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ForwardBatch;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The logits after each reference prompt, from one forward pass of the whole prompt on the CPU backend, against
 * Hugging Face transformers' float32 logits. Tolerance 1e-4 relative (‖out − ref‖ / ‖ref‖): both sides compute in
 * float32 from the same bf16-rounded weights and differ only in summation order.
 */
class CausalLMParityTest {

    static final java.util.List<String> MODELS = Fixtures.MODELS;

    @ParameterizedTest
    @FieldSource("MODELS")
    void lastLogitsMatchTransformers(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        try (CpuBackend backend = new CpuBackend(2);
             SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            CausalLM model = CausalLM.load(config, weights, backend);
            backend.allocateCache(config.numLayers(), config.maxPositions(), config.kvSize());
            for (Fixtures.Case c : Fixtures.cases(name)) {
                int n = c.inputIds().length;
                int[] positions = IntStream.range(0, n).toArray();
                // slots in reverse order, so a slot is never its position: checks the slot mapping is honoured
                int[] slots = IntStream.range(0, n).map(i -> config.maxPositions() - 1 - i).toArray();
                int[] starts = IntStream.range(0, n).map(i -> slots[i]).toArray();
                int[] lengths = IntStream.range(0, n).map(i -> 1).toArray();
                ForwardBatch batch = new ForwardBatch(c.inputIds(), positions, slots, new int[] {0, n}, new int[] {n},
                        new int[] {0, n}, starts, lengths, new int[] {n - 1});
                float[] logits = backend.toHost(model.forward(batch));
                double error = Fixtures.relativeError(toDoubles(logits), toDoubles(c.lastLogits()));
                assertTrue(error < 1e-4, name + " '" + c.prompt() + "': relative error " + error);
            }
        }
    }

    private static double[] toDoubles(float[] values) {
        return IntStream.range(0, values.length).mapToDouble(i -> values[i]).toArray();
    }
}
