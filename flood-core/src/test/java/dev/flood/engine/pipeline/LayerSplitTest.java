package dev.flood.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.LayerRange;
import dev.flood.testing.Fixtures;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Layer splits: explicit ones checked against the model, balanced ones no costlier than any other split. */
class LayerSplitTest {

    private static ModelConfig shape(String name) {
        try {
            return ModelConfigReader.read(Path.of(LayerSplitTest.class.getResource("/shapes/" + name).toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void llama8bOnTwoStagesGivesTheHeadsStageTwoLayersFewer() {
        // the head (128256 x 4096) costs about 2.4 layers (4096 x 6144 + 4096 x 4096 + 3 x 4096 x 14336)
        assertEquals(List.of(new LayerRange(0, 17), new LayerRange(17, 32)), LayerSplit.balanced(shape("llama-3.1-8b"), 2));
    }

    @Test
    void balancedSplitsCostNoMoreThanAnyOther() {
        for (String name : List.of("llama-3.1-8b", "llama-3.2-1b", "qwen3-0.6b")) {
            ModelConfig model = shape(name);
            for (int stages = 1; stages <= 4; stages++) {
                List<LayerRange> split = LayerSplit.balanced(model, stages);
                assertEquals(stages, split.size());
                assertEquals(0, split.get(0).first());
                assertEquals(model.numLayers(), split.get(stages - 1).end());
                for (int k = 1; k < stages; k++) {
                    assertEquals(split.get(k - 1).end(), split.get(k).first(), "contiguous");
                }
                long best = bruteForceBest(model, stages);
                assertEquals(best, maxCost(model, split), name + " on " + stages + " stages: " + split);
            }
        }
    }

    @Test
    void tinyModelsSplitOneLayerPerStageAtMost() {
        ModelConfig llama = ModelConfigReader.read(Fixtures.model("tiny-llama"));
        assertEquals(List.of(new LayerRange(0, 1), new LayerRange(1, 2), new LayerRange(2, 3)),
                LayerSplit.balanced(llama, 3));
        assertEquals("4 pipeline stages need at least 4 decoder layers (one each), but the model has 3",
                assertThrows(IllegalArgumentException.class, () -> LayerSplit.balanced(llama, 4)).getMessage());
    }

    @Test
    void explicitSplitsMustCoverTheModel() {
        ModelConfig llama = ModelConfigReader.read(Fixtures.model("tiny-llama"));
        EngineConfig config = EngineConfig.builder(Fixtures.model("tiny-llama")).stageLayers(List.of(1, 2)).build();
        assertEquals(List.of(new LayerRange(0, 1), new LayerRange(1, 3)), LayerSplit.of(config, llama));
        EngineConfig tooFew = config.toBuilder().stageLayers(List.of(1, 1)).build();
        assertEquals("stageLayers [1, 1] covers 2 layers, but the model has 3",
                assertThrows(IllegalArgumentException.class, () -> LayerSplit.of(tooFew, llama)).getMessage());
    }

    /** The cost model of {@link LayerSplit}, restated: matmul weights per layer, vocab x hidden for the head. */
    private static long maxCost(ModelConfig m, List<LayerRange> split) {
        long layer = (long) m.hiddenSize() * (m.qSize() + 2L * m.kvSize()) + (long) m.qSize() * m.hiddenSize()
                + 3L * m.hiddenSize() * m.intermediateSize();
        long max = 0;
        for (int k = 0; k < split.size(); k++) {
            long cost = split.get(k).numLayers() * layer
                    + (k == split.size() - 1 ? (long) m.vocabSize() * m.hiddenSize() : 0);
            max = Math.max(max, cost);
        }
        return max;
    }

    private static long bruteForceBest(ModelConfig model, int stages) {
        List<List<LayerRange>> all = new ArrayList<>();
        splits(0, model.numLayers(), stages, new ArrayList<>(), all);
        return all.stream().mapToLong(s -> maxCost(model, s)).min().orElseThrow();
    }

    private static void splits(int first, int numLayers, int stages, List<LayerRange> prefix, List<List<LayerRange>> out) {
        if (stages == 1) {
            List<LayerRange> split = new ArrayList<>(prefix);
            split.add(new LayerRange(first, numLayers));
            out.add(split);
            return;
        }
        for (int end = first + 1; end <= numLayers - stages + 1; end++) {
            prefix.add(new LayerRange(first, end));
            splits(end, numLayers, stages - 1, prefix, out);
            prefix.remove(prefix.size() - 1);
        }
    }
}
