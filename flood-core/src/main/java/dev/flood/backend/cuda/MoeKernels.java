package dev.flood.backend.cuda;

/**
 * The one place the Java side knows the mixture-of-experts kernels (kernels/src/moe_*.cuh, entry points in
 * flood.cu): their names, parameters in order, and launch shapes. Pointers are raw device addresses; every launch
 * goes on the backend's stream through {@link Kernels}.
 */
final class MoeKernels {

    /**
     * Most experts a router may have: the routing kernel keeps 4 warps x numExperts floats in shared memory, within
     * the 48 KB a kernel gets without opting in.
     */
    static final int MAX_EXPERTS = 1024;
    /** Most experts per token: one lane of the routing warp holds each choice (kMoeMaxTopK). */
    static final int MAX_TOP_K = 32;
    /** Rows of a grouped-GEMM tile: 64 or 128 (ExpertGemmTile). */
    static final int SMALL_TILE_ROWS = 64;
    static final int LARGE_TILE_ROWS = 128;
    /** Output columns of a grouped-GEMM tile (ExpertGemmTile::kCols). */
    static final int TILE_COLS = 128;

    private static final int ROUTE_WARPS = 4;
    private static final int GROUP_THREADS = 1024;
    private static final int GEMM_THREADS = 128;
    private static final int COMBINE_THREADS = 256;
    private static final int GEMM_STAGES = 4;
    private static final int GEMM_DEPTH = 32;

    private final Kernels kernels;

    MoeKernels(Kernels kernels) {
        this.kernels = kernels;
        for (int rows : new int[] {SMALL_TILE_ROWS, LARGE_TILE_ROWS}) {
            kernels.allowSharedBytes(gemmName(rows), gemmSharedBytes(rows));
        }
    }

    /** One warp per token: float32 logits [numTokens, numExperts] to experts (int) and weights [numTokens, topK]. */
    void route(long logits, int numTokens, int numExperts, int topK, boolean renormalize, long experts, long weights) {
        int blocks = (numTokens + ROUTE_WARPS - 1) / ROUTE_WARPS;
        kernels.launch("flood_moe_route", blocks, 1, 32 * ROUTE_WARPS, ROUTE_WARPS * numExperts * Float.BYTES,
                logits, numTokens, numExperts, topK, renormalize ? 1 : 0, experts, weights);
    }

    /** One block groups all pairs by expert: expert and tile offsets [numExperts + 1], sorted pairs [numPairs]. */
    void group(long experts, int numPairs, int numExperts, int tileRows, long expertOffsets, long tileOffsets,
               long sortedPairs) {
        kernels.launch("flood_moe_group", 1, 1, GROUP_THREADS, 2 * numExperts * Integer.BYTES, experts, numPairs,
                numExperts, tileRows, expertOffsets, tileOffsets, sortedPairs);
    }

    /** The grouped GEMM over {@code maxTiles} tiles of {@code tileRows} (blocks past the routing's tiles exit). */
    void gemm(GemmLaunch launch, int tileRows, int maxTiles) {
        long blocks = (long) maxTiles * ((launch.n() + TILE_COLS - 1) / TILE_COLS);
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an expert GEMM of " + blocks + " blocks is too large for one launch");
        }
        kernels.launch(gemmName(tileRows), (int) blocks, 1, GEMM_THREADS, gemmSharedBytes(tileRows), launch.a(),
                launch.aDivisor(), launch.weight(), launch.n(), launch.k(), launch.c(), launch.sortedPairs(),
                launch.expertOffsets(), launch.tileOffsets(), launch.numExperts());
    }

    /** One block per token: out [numTokens, width] = the weighted sum of its pairs' rows of expertOut. */
    void combine(long expertOut, long experts, long weights, int numTokens, int topK, int width, long out) {
        kernels.launch("flood_moe_combine", numTokens, 1, COMBINE_THREADS, 0, expertOut, experts, weights, topK, width,
                out);
    }

    /** Arguments of one grouped GEMM, in ExpertGemmArgs order. */
    record GemmLaunch(long a, int aDivisor, long weight, int n, int k, long c, long sortedPairs, long expertOffsets,
                      long tileOffsets, int numExperts) {
    }

    private static String gemmName(int tileRows) {
        if (tileRows != SMALL_TILE_ROWS && tileRows != LARGE_TILE_ROWS) {
            throw new IllegalArgumentException("expert GEMM tiles have 64 or 128 rows, not " + tileRows);
        }
        return "flood_moe_gemm_m" + tileRows;
    }

    /** kStages x (A rows + W rows) x (32 + 8 padding) bf16. */
    private static int gemmSharedBytes(int tileRows) {
        return GEMM_STAGES * (tileRows + TILE_COLS) * (GEMM_DEPTH + 8) * 2;
    }
}
