package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;

/**
 * Which instantiated graph a captured decode step runs with ({@link DecodeGraphs}): the step's batch-size bucket
 * and its graph's node count. A graph instantiated for a key is updated in place from each later capture with the
 * same key, which succeeds when the two have the same topology (the same nodes in the same order, kernels free to
 * take other arguments and grids). Steps of one bucket launch the same kernels as a rule, so updates mostly
 * succeed; the node count tells apart the few shapes a bucket's steps take (with or without the merge of split
 * attention, with or without deferred tokens to resolve), so these do not keep replacing each other.
 *
 * @param bucket   {@link #bucket} of the step's rows
 * @param numNodes nodes of the captured graph (kernels, copies and cuBLAS's own)
 */
record GraphKey(int bucket, long numNodes) {

    /** Buckets grow in powers of two up to this many rows, ... */
    static final int SMALL_ROWS = 32;
    /** ... then in steps of {@link #SMALL_ROWS} up to this many, then in steps of {@link #LARGE_STEP}. */
    static final int MEDIUM_ROWS = 256;
    static final int LARGE_STEP = 64;

    GraphKey {
        if (bucket < 1 || numNodes < 0) {
            throw new IllegalArgumentException("graph key of bucket " + bucket + " and " + numNodes + " nodes");
        }
    }

    /**
     * The bucket of a step of {@code rows} rows: the smallest of 1, 2, 4, .., 32, 64, 96, .., 256, 320, 384, ..
     * that holds them. cuBLAS picks its kernels by the row count, so nearby counts share kernels and their
     * captures update one another's graph.
     */
    static int bucket(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("a step of " + rows + " rows has no bucket");
        }
        if (rows <= SMALL_ROWS) {
            return rows == 1 ? 1 : Integer.highestOneBit(rows - 1) << 1;
        }
        int step = rows <= MEDIUM_ROWS ? SMALL_ROWS : LARGE_STEP;
        return Math.toIntExact(((long) rows + step - 1) / step * step);
    }

    /**
     * Whether a step is decode-only: every request in it brings exactly one new token (a step with none is not).
     * Only such steps run as graphs; steps with prefill chunks stay eager.
     */
    static boolean isDecodeOnly(ForwardBatch batch) {
        return batch.numTokens() > 0 && batch.numTokens() == batch.numSeqs();
    }
}
