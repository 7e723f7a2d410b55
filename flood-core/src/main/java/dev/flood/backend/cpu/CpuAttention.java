package dev.flood.backend.cpu;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;

/**
 * Causal attention over the segment cache, one query token per task: the plain fp32 reference for the prefill,
 * append and decode kernels of faster backends. A query at position p reads context tokens
 * {@code shape.firstVisible(p) .. p} (all of them without a sliding window). Scores are {@code q·k * scale} in
 * float; the softmax subtracts the maximum and sums in double.
 */
final class CpuAttention {

    private CpuAttention() {
    }

    static void run(Parallel parallel, float[] keys, float[] values, CpuTensor qkv, AttentionShape shape,
                    ForwardBatch batch, CpuTensor out) {
        int[][] contextSlots = contextSlots(batch);
        int[] seqOfToken = new int[batch.numTokens()];
        for (int r = 0; r < batch.numSeqs(); r++) {
            for (int t = batch.cuSeqlensQ()[r]; t < batch.cuSeqlensQ()[r + 1]; t++) {
                seqOfToken[t] = r;
            }
        }
        int headDim = shape.headDim();
        int kvSize = shape.kvSize();
        parallel.forEach(batch.numTokens(), token -> {
            int seq = seqOfToken[token];
            int position = batch.contextLens()[seq] - batch.queryLen(seq) + (token - batch.cuSeqlensQ()[seq]);
            int first = shape.firstVisible(position);
            int[] slots = contextSlots[seq];
            float[] scores = new float[position + 1];
            for (int h = 0; h < shape.numHeads(); h++) {
                int q = token * qkv.cols() + h * headDim;
                int kvHead = (h / shape.queriesPerKvHead()) * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = first; j <= position; j++) {
                    float s = CpuBackend.dot(qkv.data(), q, keys, slots[j] * kvSize + kvHead, headDim) * shape.scale();
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = first; j <= position; j++) {
                    float p = (float) Math.exp(scores[j] - max);
                    scores[j] = p;
                    sum += p;
                }
                float inverseSum = (float) (1.0 / sum);
                int o = token * out.cols() + h * headDim;
                for (int d = 0; d < headDim; d++) {
                    float acc = 0;
                    for (int j = first; j <= position; j++) {
                        acc += scores[j] * values[slots[j] * kvSize + kvHead + d];
                    }
                    out.data()[o + d] = acc * inverseSum;
                }
            }
        });
    }

    /** For each request, the cache slot of each of its context tokens ({@link ForwardBatch#contextSlots}). */
    static int[][] contextSlots(ForwardBatch batch) {
        int[][] slots = new int[batch.numSeqs()][];
        for (int r = 0; r < batch.numSeqs(); r++) {
            slots[r] = batch.contextSlots(r);
        }
        return slots;
    }
}
