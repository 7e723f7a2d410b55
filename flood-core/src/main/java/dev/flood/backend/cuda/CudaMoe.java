package dev.flood.backend.cuda;

import dev.flood.backend.ExpertRouting;
import dev.flood.backend.RouterSpec;
import dev.flood.weights.DType;

/**
 * The mixture-of-experts ops of {@link CudaBackend}, all on the device and asynchronous: no copy to the host and no
 * host loop over experts in a step.
 * <ul>
 *   <li>{@link #route}: the routing kernel (softmax, top-k, renormalization; one warp per token), then one block
 *       that groups the (token, expert) pairs by expert and cuts each expert's pairs into tiles;
 *   <li>{@link #linear}: every expert's GEMM in one launch over those tiles, A rows gathered per pair and C rows
 *       written back to their pair's place, so the activations stay pair-major ([numPairs, width], row
 *       {@code t * topK + j});
 *   <li>{@link #combine}: each token's weighted sum of its pairs' rows.
 * </ul>
 * Tiles have 64 rows when experts get few pairs each on average (decode), else 128; the choice changes no number
 * (every output element is the same dot product in the same order), so a request's results do not depend on its
 * batch.
 */
final class CudaMoe {

    /** Average pairs per expert up to which 64-row tiles waste less than 128-row ones. */
    private static final int SMALL_TILE_AVERAGE = 96;

    private final MoeKernels kernels;
    private final Kernels common;

    CudaMoe(Kernels kernels) {
        this.kernels = new MoeKernels(kernels);
        this.common = kernels;
    }

    /**
     * A step's routing on the device: {@code experts}, {@code weights} [numPairs] (moe_route.cuh);
     * {@code expertOffsets}, {@code tileOffsets} [numExperts + 1] and {@code sortedPairs} [numPairs]
     * (moe_group.cuh); tiles of {@code tileRows}, at most {@code maxTiles} of them.
     */
    record Routing(int numTokens, int numExperts, int topK, long experts, long weights, long expertOffsets,
                   long tileOffsets, long sortedPairs, int tileRows, int maxTiles) implements ExpertRouting {

        static Routing of(ExpertRouting routing) {
            if (routing instanceof Routing r) {
                return r;
            }
            throw new IllegalArgumentException("not a CUDA routing: " + routing);
        }
    }

    /** Routes in the current step; its buffers come from {@code workspace}, the step's. */
    Routing route(CudaTensor logits, RouterSpec spec, Workspace workspace) {
        logits.require(DType.F32, "routeExperts");
        int numTokens = logits.rows();
        int numExperts = logits.cols();
        int topK = spec.topK();
        if (numExperts > MoeKernels.MAX_EXPERTS || topK > Math.min(numExperts, MoeKernels.MAX_TOP_K)) {
            throw new IllegalArgumentException("routeExperts: top-" + topK + " of " + numExperts + " experts; the CUDA"
                    + " kernels route to at most " + MoeKernels.MAX_TOP_K + " of at most " + MoeKernels.MAX_EXPERTS);
        }
        int numPairs = Math.multiplyExact(numTokens, topK);
        int tileRows = numPairs <= (long) SMALL_TILE_AVERAGE * numExperts ? MoeKernels.SMALL_TILE_ROWS
                : MoeKernels.LARGE_TILE_ROWS;
        // Each expert holds at most one pair per token, and ceil(c / rows) <= c / rows + 1 for each expert with pairs.
        long byPairs = (numPairs + tileRows - 1) / tileRows + (long) Math.min(numExperts, numPairs);
        long byExperts = (long) numExperts * ((numTokens + tileRows - 1) / tileRows);
        int maxTiles = (int) Math.min(byPairs, byExperts);
        long experts = workspace.take(4L * numPairs, "routed experts").address();
        long weights = workspace.take(4L * numPairs, "routing weights").address();
        long expertOffsets = workspace.take(4L * (numExperts + 1), "expert offsets").address();
        long tileOffsets = workspace.take(4L * (numExperts + 1), "expert tile offsets").address();
        long sortedPairs = workspace.take(4L * numPairs, "pairs by expert").address();
        kernels.route(logits.address(), numTokens, numExperts, topK, spec.renormalize(), experts, weights);
        kernels.group(experts, numPairs, numExperts, tileRows, expertOffsets, tileOffsets, sortedPairs);
        return new Routing(numTokens, numExperts, topK, experts, weights, expertOffsets, tileOffsets, sortedPairs,
                tileRows, maxTiles);
    }

    /** {@code workspace}: the step's, for a bf16 copy of a float32 input. */
    void linear(CudaTensor x, Routing routing, CudaWeight experts, CudaTensor out, Workspace workspace) {
        experts.require(DType.BF16, "expertLinear");
        if (experts.rows() % routing.numExperts() != 0) {
            throw new IllegalArgumentException("expertLinear: " + experts.rows() + " weight rows for "
                    + routing.numExperts() + " experts");
        }
        int outPerExpert = experts.rows() / routing.numExperts();
        int in = experts.cols();
        boolean perToken = x.rows() == routing.numTokens();
        if (!perToken && x.rows() != routing.numPairs() || x.cols() != in || out.rows() != routing.numPairs()
                || out.cols() != outPerExpert) {
            throw new IllegalArgumentException("expertLinear: x [" + x.rows() + ", " + x.cols() + "], experts "
                    + routing.numExperts() + " x [" + outPerExpert + ", " + in + "], out [" + out.rows() + ", "
                    + out.cols() + "] for " + routing.numTokens() + " tokens x top-" + routing.topK());
        }
        if (in % 8 != 0) {
            throw new IllegalArgumentException("expertLinear: the CUDA kernel reads rows in 16-byte chunks, so the"
                    + " input width must be a multiple of 8, not " + in);
        }
        long input = x.address();
        if (x.dtype() == DType.F32) {
            long count = (long) x.rows() * x.cols();
            input = workspace.take(count * 2, "bf16 copy of an expert input").address();
            common.toBf16(x.address(), input, count);
        } else {
            x.require(DType.BF16, "expertLinear");
        }
        kernels.gemm(new MoeKernels.GemmLaunch(input, perToken ? routing.topK() : 1, experts.address(), outPerExpert,
                in, out.address(), routing.sortedPairs(), routing.expertOffsets(), routing.tileOffsets(),
                routing.numExperts()), routing.tileRows(), routing.maxTiles());
        out.written(DType.F32);
    }

    void combine(CudaTensor expertOut, Routing routing, CudaTensor out) {
        expertOut.require(DType.F32, "combineExperts");
        int width = out.cols();
        if (expertOut.rows() != routing.numPairs() || expertOut.cols() != width || out.rows() != routing.numTokens()) {
            throw new IllegalArgumentException("combineExperts: expert output [" + expertOut.rows() + ", "
                    + expertOut.cols() + "], out [" + out.rows() + ", " + out.cols() + "] for " + routing.numTokens()
                    + " tokens x top-" + routing.topK());
        }
        kernels.combine(expertOut.address(), routing.experts(), routing.weights(), routing.numTokens(),
                routing.topK(), width, out.address());
        out.written(DType.F32);
    }
}
