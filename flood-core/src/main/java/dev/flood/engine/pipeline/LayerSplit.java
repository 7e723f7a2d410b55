package dev.flood.engine.pipeline;

import dev.flood.api.EngineConfig;
import dev.flood.config.ModelConfig;
import dev.flood.model.LayerRange;
import java.util.ArrayList;
import java.util.List;

/**
 * Which decoder layers each pipeline stage runs: the config's explicit {@code stageLayers}, or a split that
 * balances the stages' cost. The embedding sits on the first stage and the head (final norm, lm_head, sampling)
 * on the last, with whatever layers make the stages cost about the same.
 *
 * <p>Cost model, in multiply-adds per token row: a decoder layer costs its matmul weights, {@code hidden x (qSize
 * + 2 kvSize) + qSize x hidden + 3 hidden x intermediate} (attention over the context is left out: it grows with
 * the context alike in every layer); the head costs {@code vocab x hidden}, counted for every row because in a
 * bulk generation run decode steps dominate and every decode row needs logits. The embedding is a row gather and
 * costs nothing here. On Llama 3.1 8B the head weighs about 2.4 layers, so two stages get 17 and 15 layers.
 */
public final class LayerSplit {

    private LayerSplit() {
    }

    /** The split for {@code config}'s stages over {@code model}'s layers. */
    public static List<LayerRange> of(EngineConfig config, ModelConfig model) {
        return config.stageLayers().isEmpty() ? balanced(model, config.numStages())
                : explicit(config.stageLayers(), model.numLayers());
    }

    /** Consecutive ranges of {@code layersPerStage[k]} layers; they must cover exactly {@code numLayers}. */
    static List<LayerRange> explicit(List<Integer> layersPerStage, int numLayers) {
        int total = layersPerStage.stream().mapToInt(Integer::intValue).sum();
        if (total != numLayers) {
            throw new IllegalArgumentException("stageLayers " + layersPerStage + " covers " + total
                    + " layers, but the model has " + numLayers);
        }
        List<LayerRange> ranges = new ArrayList<>();
        int first = 0;
        for (int count : layersPerStage) {
            ranges.add(new LayerRange(first, first + count));
            first += count;
        }
        return List.copyOf(ranges);
    }

    /** The contiguous split into {@code stages} ranges of at least one layer whose costliest stage costs least. */
    static List<LayerRange> balanced(ModelConfig model, int stages) {
        int numLayers = model.numLayers();
        if (stages > numLayers) {
            throw new IllegalArgumentException(stages + " pipeline stages need at least " + stages
                    + " decoder layers (one each), but the model has " + numLayers);
        }
        long layer = (long) model.hiddenSize() * (model.qSize() + 2L * model.kvSize())
                + (long) model.qSize() * model.hiddenSize() + 3L * model.hiddenSize() * model.intermediateSize();
        long head = (long) model.vocabSize() * model.hiddenSize();
        // best[s][n]: the least possible cost of the costliest of stages 0..s when they hold layers 0..n-1;
        // cut[s][n]: where stage s starts in that split. Stage s = stages - 1 also carries the head.
        long[][] best = new long[stages][numLayers + 1];
        int[][] cut = new int[stages][numLayers + 1];
        for (int n = 1; n <= numLayers; n++) {
            best[0][n] = n * layer + (stages == 1 ? head : 0);
        }
        for (int s = 1; s < stages; s++) {
            long extra = s == stages - 1 ? head : 0;
            for (int n = s + 1; n <= numLayers; n++) {
                best[s][n] = Long.MAX_VALUE;
                for (int start = s; start < n; start++) {
                    long cost = Math.max(best[s - 1][start], (n - start) * layer + extra);
                    if (cost < best[s][n]) {
                        best[s][n] = cost;
                        cut[s][n] = start;
                    }
                }
            }
        }
        int[] starts = new int[stages + 1];
        starts[stages] = numLayers;
        for (int s = stages - 1; s > 0; s--) {
            starts[s] = cut[s][starts[s + 1]];
        }
        List<LayerRange> ranges = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            ranges.add(new LayerRange(starts[s], starts[s + 1]));
        }
        return List.copyOf(ranges);
    }
}
