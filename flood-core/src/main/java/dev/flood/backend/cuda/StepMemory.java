package dev.flood.backend.cuda;

import dev.flood.config.ModelConfig;
import dev.flood.config.MoeConfig;

/**
 * How much workspace one step slot needs for a model, to reserve it before the KV cache takes the rest of the GPU.
 */
final class StepMemory {

    private static final long SLACK_BYTES = 64L << 20;

    private StepMemory() {
    }

    /**
     * Activations of a step of {@code maxBatchTokens} tokens (four bytes per value: residual and normed, and one
     * layer's qkv, attention, projection, gate/up and activation); for generation, the logits of the rows that
     * sample (at most {@code min(maxBatchTokens, maxRunningRequests)}, float32), the sampler's scores of as many
     * rows (float32) and their gathered inputs; for scoring, what {@link LmHeadLogprobs} takes for every token of
     * a step (one chunk of logits whatever the step's size, top-N for none); attention partials for splits (up to
     * twice the query values), and slack for metadata and plans. A mixture-of-experts model adds its sparse
     * layers' activations per token: router logits, and per chosen expert the gate/up, activation and output rows
     * (shared by the layers), and every layer's routing, three ints per chosen expert (CudaMoe). A step that needs
     * more grows the workspace.
     */
    static long workspaceBytes(ModelConfig model, int maxBatchTokens, int maxRunningRequests) {
        long qkvWidth = model.qSize() + 2L * model.kvSize();
        long perToken = 2L * model.hiddenSize() + qkvWidth + model.qSize() + model.hiddenSize()
                + 3L * model.intermediateSize() + 2L * model.qSize();
        MoeConfig moe = model.moe();
        if (moe != null && moe.numExperts() > 0) {
            long perPair = 3L * moe.expertIntermediateSize() + model.hiddenSize() + 3L * model.numLayers();
            perToken += moe.numExperts() + (long) moe.numExpertsPerToken() * perPair;
        }
        long activations = (long) maxBatchTokens * perToken * Float.BYTES;
        long sampledRows = Math.min(maxBatchTokens, maxRunningRequests);
        long sampling = sampledRows * (2L * model.vocabSize() + model.hiddenSize()) * Float.BYTES;
        long scoring = LmHeadLogprobs.workspaceBytes(LmHeadLogprobs.DEFAULT_CHUNK_BYTES, model.hiddenSize(),
                model.vocabSize(), maxBatchTokens, 0);
        return activations + sampling + scoring + SLACK_BYTES;
    }
}
