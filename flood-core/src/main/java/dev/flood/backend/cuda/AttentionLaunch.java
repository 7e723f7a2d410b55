package dev.flood.backend.cuda;

/**
 * What one attention call's kernels share: the layer's packed qkv (float32) and cache slabs (bf16), the step's
 * metadata, the output (bf16), the partial buffers of split work items (0 when the plan has no splits), and the
 * layer's sliding window in tokens (0: none).
 */
record AttentionLaunch(int headDim, int numKvHeads, int group, float scaleLog2, long qkv, int qkvStride,
                       long keyCache, long valueCache, int kvSize, StepMetadata metadata, long out, int outStride,
                       long partialOut, long partialMaxSum, int slidingWindow) {
}
