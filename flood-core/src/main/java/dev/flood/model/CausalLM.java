package dev.flood.model;

import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.StepHead;
import dev.flood.backend.Tensor;
import dev.flood.config.ModelConfig;
import dev.flood.weights.WeightSource;

/**
 * A whole decoder-only language model on one backend: the {@link ModelSlice} of every layer. One
 * {@link #forward} runs every token of a step and returns logits only for the rows that need them. The engine
 * runs models as pipeline stages ({@code dev.flood.engine.pipeline}); this is the one-call form for tests and
 * tools.
 */
public final class CausalLM {

    private final Backend backend;
    private final ModelSlice whole;

    private CausalLM(Backend backend, ModelSlice whole) {
        this.backend = backend;
        this.whole = whole;
    }

    /** Loads the architecture named by {@code config} from {@code source} onto {@code backend}. */
    public static CausalLM load(ModelConfig config, WeightSource source, Backend backend) {
        return new CausalLM(backend, ModelSlice.load(config, source, backend, LayerRange.all(config.numLayers())));
    }

    /**
     * Runs one step. Returns the float32 logits of {@code batch.logitRows()}, {@code [logitRows.length, vocab]},
     * left on the backend for sampling; null when no row needs logits.
     */
    public Tensor forward(ForwardBatch batch) {
        return forwardHead(batch).logits();
    }

    /**
     * Runs one step as the engine's last stage does: what {@link Backend#launchOutputs} reads, the final hidden
     * states of every token with the lm_head (for scored rows) and the logits of {@code batch.logitRows()}.
     */
    public StepHead forwardHead(ForwardBatch batch) {
        backend.beginStep(batch);
        return whole.head(batch, whole.forward(batch, null));
    }

    public ModelConfig config() {
        return whole.config();
    }
}
