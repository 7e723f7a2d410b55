package dev.flood.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.backend.ForwardBatch;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * A model cut into slices, each on its own backend with the cache of its own layers and fed the previous slice's
 * activations, computes exactly the whole model's logits (bit for bit: the same float32 ops in the same order).
 */
class ModelSliceTest {

    static final List<String> MODELS = Fixtures.MODELS;

    @ParameterizedTest
    @FieldSource("MODELS")
    void slicesInSequenceGiveTheWholeModelsLogits(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        List<List<LayerRange>> splits = new ArrayList<>();
        splits.add(List.of(new LayerRange(0, 1), new LayerRange(1, config.numLayers())));
        if (config.numLayers() >= 3) {
            splits.add(List.of(new LayerRange(0, 1), new LayerRange(1, 2), new LayerRange(2, config.numLayers())));
        }
        for (List<LayerRange> split : splits) {
            List<CpuBackend> backends = new ArrayList<>();
            try (CpuBackend whole = new CpuBackend(2);
                 SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
                CausalLM model = CausalLM.load(config, weights, whole);
                whole.allocateCache(config.numLayers(), 64, config.kvSize());
                List<ModelSlice> slices = new ArrayList<>();
                for (LayerRange range : split) {
                    CpuBackend backend = new CpuBackend(2);
                    backends.add(backend);
                    slices.add(ModelSlice.load(config, weights, backend, range));
                    backend.allocateCache(range.numLayers(), 64, config.kvSize());
                }
                for (Fixtures.Case c : Fixtures.cases(name)) {
                    ForwardBatch batch = prompt(c.inputIds());
                    float[] expected = whole.toHost(model.forward(batch));
                    Activations activations = null;
                    for (int k = 0; k < slices.size(); k++) {
                        backends.get(k).beginStep(batch);
                        activations = slices.get(k).forward(batch, activations);
                    }
                    float[] actual = backends.get(backends.size() - 1).toHost(
                            slices.get(slices.size() - 1).logits(batch, activations));
                    assertArrayEquals(expected, actual, name + " " + split + " '" + c.prompt() + "'");
                }
            } finally {
                backends.forEach(CpuBackend::close);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void slicesSayWhatTheyLack(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        try (CpuBackend backend = new CpuBackend(1);
             SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            ModelSlice first = ModelSlice.load(config, weights, backend, new LayerRange(0, 1));
            ModelSlice rest = ModelSlice.load(config, weights, backend, new LayerRange(1, config.numLayers()));
            ForwardBatch batch = prompt(new int[] {0, 5});
            backend.allocateCache(config.numLayers(), 8, config.kvSize());
            backend.beginStep(batch);
            assertEquals("layers 1-" + (config.numLayers() - 1) + " continues another stage: it needs that stage's"
                    + " activations", assertThrows(IllegalArgumentException.class,
                    () -> rest.forward(batch, null)).getMessage());
            Activations out = first.forward(batch, null);
            assertEquals("layers 0-0 starts the model: it embeds the batch and takes no activations",
                    assertThrows(IllegalArgumentException.class, () -> first.forward(batch, out)).getMessage());
            assertEquals("layers 0-0 does not end the model: it has no lm_head",
                    assertThrows(IllegalStateException.class, () -> first.logits(batch, out)).getMessage());
            assertEquals("layers 0-" + config.numLayers() + " is outside a model of " + config.numLayers()
                    + " layers", assertThrows(IllegalArgumentException.class, () -> ModelSlice.load(config, weights,
                    backend, new LayerRange(0, config.numLayers() + 1))).getMessage());
        }
    }

    /** One request feeding {@code ids} from position 0, slots 0.., logits of its last row. */
    private static ForwardBatch prompt(int[] ids) {
        int n = ids.length;
        int[] positions = IntStream.range(0, n).toArray();
        return new ForwardBatch(ids, positions, positions.clone(), new int[] {0, n}, new int[] {n}, new int[] {0, 1},
                new int[] {0}, new int[] {n}, new int[] {n - 1});
    }
}
