package dev.flood.backend.cuda;

import dev.flood.config.ModelConfig;

/** How much step workspace a model needs, to reserve it before the KV cache takes the rest of the GPU. */
final class StepMemory {

    private static final long SLACK_BYTES = 64L << 20;

    private StepMemory() {
    }

    /**
     * Activations of a step of {@code maxBatchTokens} tokens (four bytes per value: residual and normed, and one
     * layer's qkv, attention, projection, gate/up and activation), its logits rows ({@code logitRows}, float32),
     * the sampler's scores of as many rows (float32) and the gathered inputs, attention partials for splits (up to
     * twice the query values), and slack for metadata and plans. A step that needs more grows the workspace.
     */
    static long workspaceBytes(ModelConfig model, int maxBatchTokens, int logitRows) {
        long qkvWidth = model.qSize() + 2L * model.kvSize();
        long perToken = 2L * model.hiddenSize() + qkvWidth + model.qSize() + model.hiddenSize()
                + 3L * model.intermediateSize() + 2L * model.qSize();
        long activations = (long) maxBatchTokens * perToken * Float.BYTES;
        long logits = (long) logitRows * (2L * model.vocabSize() + model.hiddenSize()) * Float.BYTES;
        return activations + logits + SLACK_BYTES;
    }
}
