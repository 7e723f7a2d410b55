package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;

/**
 * Host-side checks before kernels index memory: an index the CPU backend would reject with an exception would,
 * on the GPU, read or write some other memory; a shape mismatch would read past a buffer.
 */
final class StepChecks {

    private StepChecks() {
    }

    /** Query lengths, context lengths, extents, and (with a cache) slots within its capacity. */
    static void check(ForwardBatch batch, KvCache cache) {
        int capacity = cache == null ? Integer.MAX_VALUE : cache.capacityTokens();
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            int queryLen = batch.queryLen(seq);
            int contextLen = batch.contextLens()[seq];
            if (queryLen < 0 || queryLen > contextLen) {
                throw new IllegalArgumentException("request " + seq + " has " + queryLen + " query tokens and a context"
                        + " of " + contextLen);
            }
            int numExtents = batch.cuExtents()[seq + 1] - batch.cuExtents()[seq];
            if (numExtents < 0 || numExtents > Kernels.MAX_EXTENTS) {
                throw new IllegalArgumentException("request " + seq + " has " + numExtents + " cache extents; the CUDA"
                        + " kernels take at most " + Kernels.MAX_EXTENTS);
            }
            long slots = 0;
            for (int e = batch.cuExtents()[seq]; e < batch.cuExtents()[seq + 1]; e++) {
                int start = batch.extentStarts()[e];
                int length = batch.extentLengths()[e];
                if (start < 0 || length < 0 || (long) start + length > capacity) {
                    throw new IllegalArgumentException("extent [" + start + ", " + ((long) start + length) + ") of"
                            + " request " + seq + " is outside the cache of " + capacity + " tokens");
                }
                slots += length;
            }
            if (slots < contextLen) {
                throw new IllegalArgumentException("request " + seq + " has " + slots + " cache slots for a context of "
                        + contextLen + " tokens");
            }
        }
        for (int t = 0; t < batch.numTokens(); t++) {
            int slot = batch.slotMapping()[t];
            if (slot < 0 || slot >= capacity) {
                throw new IllegalArgumentException("token " + t + " maps to cache slot " + slot + ", outside [0, "
                        + capacity + ")");
            }
        }
    }

    /** Token ids within the vocabulary, except deferred rows (resolved on the device, clamped there). */
    static void tokenIds(ForwardBatch batch, int vocabSize) {
        for (int t = 0; t < batch.numTokens(); t++) {
            if (batch.deferredTokens()[t] >= 0) {
                continue;
            }
            int id = batch.tokenIds()[t];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " at row " + t + " is outside the vocabulary [0, "
                        + vocabSize + ")");
            }
        }
    }

    static void positions(ForwardBatch batch, int maxPositions) {
        for (int t = 0; t < batch.numTokens(); t++) {
            int position = batch.positions()[t];
            if (position < 0 || position >= maxPositions) {
                throw new IllegalArgumentException("position " + position + " at row " + t + " is outside the rotary"
                        + " table [0, " + maxPositions + ")");
            }
        }
    }

    static void shape(String op, CudaTensor t, int rows, int cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(op + ": expected [" + rows + ", " + cols + "], got [" + t.rows() + ", "
                    + t.cols() + "]");
        }
    }

    static void vector(String op, CudaWeight w, int length) {
        if (w.rows() != 1 || w.cols() != length) {
            throw new IllegalArgumentException(op + ": weight [" + w.rows() + ", " + w.cols() + "], expected a vector of "
                    + length);
        }
    }
}
