package dev.flood.estimate;

import dev.flood.config.ModelConfig;
import dev.flood.engine.ScheduleSimulation;
import java.util.Locale;

/**
 * A model's multiply-adds per unit of a step's work, which the {@link ThroughputModel} prices, and the key its
 * calibrations are filed under (models of one shape run at one speed, whatever their weights).
 *
 * <p>Matmuls: per fed token the decoder layers', {@code layers x (hidden x (qSize + 2 kvSize) + qSize x hidden +
 * 3 hidden x intermediate)}, and per sampled row the lm_head's, {@code vocab x hidden}. Attention: per position a
 * fed token attends to, {@code layers x 2 qSize} (scores, then the weighted values). The two are priced apart:
 * attention reads the cache and computes a softmax, at another rate than a matmul. The embedding, norms and
 * sampling are left to the per-step and per-matmul terms.
 *
 * @param key                     architecture and dimensions, e.g. Llama 3.1 8B's
 *                                {@code LlamaForCausalLM L32 H4096 I14336 A32/8x128 V128256}
 * @param macsPerToken            decoder matmuls per fed token
 * @param macsPerSampledRow       the lm_head per sampled row
 * @param macsPerAttendedPosition attention per (fed token, attended position)
 */
public record ModelShape(String key, double macsPerToken, double macsPerSampledRow, double macsPerAttendedPosition) {

    public static ModelShape of(ModelConfig model) {
        double hidden = model.hiddenSize();
        double perLayer = hidden * (model.qSize() + 2.0 * model.kvSize()) + (double) model.qSize() * hidden
                + 3 * hidden * model.intermediateSize();
        String key = String.format(Locale.ROOT, "%s L%d H%d I%d A%d/%dx%d V%d", model.architecture(),
                model.numLayers(), model.hiddenSize(), model.intermediateSize(), model.numHeads(), model.numKvHeads(),
                model.headDim(), model.vocabSize());
        return new ModelShape(key, model.numLayers() * perLayer, (double) model.vocabSize() * hidden,
                model.numLayers() * 2.0 * model.qSize());
    }

    /** The matmuls' multiply-adds of the steps that {@code totals} add up. */
    public double matmulMacs(ScheduleSimulation.Totals totals) {
        return totals.fedTokens() * macsPerToken + totals.sampledRows() * macsPerSampledRow;
    }

    /** Attention's multiply-adds of the steps that {@code totals} add up. */
    public double attentionMacs(ScheduleSimulation.Totals totals) {
        return totals.attendedPositions() * macsPerAttendedPosition;
    }
}
