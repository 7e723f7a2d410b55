package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;
import java.util.List;

/**
 * Which instantiated graph a captured decode step runs with ({@link DecodeGraphs}): the step's batch-size bucket
 * and what each of its graph's nodes runs, in node order (a kernel node's function, else the node's type). A graph
 * instantiated for a key is updated in place from each later capture with the same key, so an update only ever
 * changes the nodes' arguments and grids, never a node's kernel.
 *
 * <p>Why the kernels are part of the key: cuBLAS picks its kernels by the row count, so two steps of one bucket may
 * run different GEMM kernels at the same node, and {@code cuGraphExecUpdate} accepts such a change; but launch
 * attributes such as thread block cluster dimensions (cuBLAS's Hopper kernels launch in clusters) are not carried
 * by an update, so a node moved to another kernel may run it with the old kernel's. With graphs updated across
 * kernels, CudaPrefixCachingTest's warm round parted from eager steps at top-2 gaps of 0.14-0.74 nats, on a
 * different dense fixture from run to run. Keyed by kernels too, a bucket holds one graph per kernel sequence its
 * steps take (a few: with or without the merge of split attention, with or without deferred tokens, one or two
 * GEMM kernel choices).
 *
 * @param bucket {@link #bucket} of the step's rows
 * @param nodes  per node of the captured graph, in node order: its kernel ({@code CUfunction}, equal by handle) or,
 *               for a node that is not a kernel (a copy, a memset), its {@code CUgraphNodeType}
 */
record GraphKey(int bucket, List<Object> nodes) {

    /** Buckets grow in powers of two up to this many rows, ... */
    static final int SMALL_ROWS = 32;
    /** ... then in steps of {@link #SMALL_ROWS} up to this many, then in steps of {@link #LARGE_STEP}. */
    static final int MEDIUM_ROWS = 256;
    static final int LARGE_STEP = 64;

    GraphKey {
        if (bucket < 1) {
            throw new IllegalArgumentException("graph key of bucket " + bucket);
        }
        nodes = List.copyOf(nodes);
    }

    /** Nodes of the captured graph (kernels, copies and cuBLAS's own). */
    int numNodes() {
        return nodes.size();
    }

    /**
     * The bucket of a step of {@code rows} rows: the smallest of 1, 2, 4, .., 32, 64, 96, .., 256, 320, 384, ..
     * that holds them. cuBLAS picks its kernels by the row count, so nearby counts mostly share kernels and their
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
