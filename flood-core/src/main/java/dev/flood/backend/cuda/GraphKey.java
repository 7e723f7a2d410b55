package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;

/**
 * Which instantiated graph a captured decode step runs with ({@link DecodeGraphs}): the step's row count and its
 * graph's node count. A graph instantiated for a key is updated in place from each later capture with the same key,
 * which then has the same kernels in every node (only arguments and grids differ): cuBLAS picks its GEMM kernels
 * by the shape, so the same rows give the same kernels, and the node count tells apart the few shapes such steps
 * take (with or without the merge of split attention, with or without deferred tokens to resolve).
 *
 * <p>Why not a bucket of nearby row counts (as until 2026-12-03): steps of one bucket may run different cuBLAS
 * kernels at the same node, and {@code cuGraphExecUpdate} accepts that, but launch attributes such as thread block
 * cluster dimensions (cuBLAS's Hopper kernels launch in clusters) may not follow an update, so a node moved to
 * another kernel could run with the old kernel's. With bucketed graphs, CudaPrefixCachingTest's warm round parted
 * from eager steps at top-2 gaps of 0.14-0.74 nats, on a different dense fixture from run to run, and a MoE fixture
 * parted in 24 of 36 requests; keyed by row count, every case of both passed on the H200 (2026-12-03). The cost: a row count's first decode step runs eagerly, and each count has a graph
 * of its own (at most {@link DecodeGraphs#MAX_GRAPHS} kept), so the tail of a job, whose row count falls step by
 * step, runs eagerly.
 *
 * @param rows     the step's rows (one token per request)
 * @param numNodes nodes of the captured graph (kernels, copies and cuBLAS's own)
 */
record GraphKey(int rows, long numNodes) {

    GraphKey {
        if (rows < 1 || numNodes < 0) {
            throw new IllegalArgumentException("graph key of " + rows + " rows and " + numNodes + " nodes");
        }
    }

    /**
     * Whether a step is decode-only: every request in it brings exactly one new token (a step with none is not).
     * Only such steps run as graphs; steps with prefill chunks stay eager.
     */
    static boolean isDecodeOnly(ForwardBatch batch) {
        return batch.numTokens() > 0 && batch.numTokens() == batch.numSeqs();
    }
}
