package dev.flood.backend.cuda;

/**
 * The instantiations of the segment attention kernels (kernels/src/segment_attention.cuh and, for Hopper,
 * segment_attention_sm90.cuh). A request whose packed rows (query tokens x query heads per KV head) fit one 16-row
 * tile takes the decode variant, else the step's prefill variant ({@link PrefillKernel} picks it once per device
 * and head dim); the choice depends on the request, the device and the model alone, never on the rest of the
 * batch, and so does its KV split size, which keeps each request's arithmetic the same whatever it is batched with.
 *
 * @param rows           packed rows per block (per work item)
 * @param threads        threads per block
 * @param blockTokens    K/V tokens per shared-memory tile
 * @param stages         K/V tiles in shared memory at once (the kernel's stages)
 * @param minSplitTokens context tokens per work item at least; longer contexts are split and merged
 * @param maxSplitTokens context tokens per work item at most
 */
enum AttentionVariant {
    /**
     * Decode and short appends (kernels/src/decode_attention.cuh): up to 16 packed rows as the 8-wide side of
     * each tensor-core product (16 context tokens the other), two warps sharing 32-token tiles in two stages (34 KB,
     * six blocks per SM); a context is cut into about 8 splits of 512 to 2048 tokens, enough blocks to fill the GPU
     * at small batches and few enough that each block streams a long run of tiles after its start-up loads. (With
     * splits of at least 256 tokens, contexts of 257 to 512 took two blocks and a merge: 79.6% of the copy
     * bandwidth at 1,024 requests of context 384 against 89.9% in one block; docs/performance.md.)
     */
    DECODE(16, 64, 32, 2, 512, 2048),
    /**
     * Prefill and long appends (mma.sync, any GPU): four warps, 64 rows, 64-token tiles in two stages, splits of
     * 4096 tokens.
     */
    PREFILL(64, 128, 64, 2, 4096, 4096),
    /**
     * Prefill and long appends on Hopper (wgmma, sm_90a; head dims 64 and 128), warp-specialized: a producer
     * warpgroup streams 128-token K/V tiles into three stages signalled by mbarriers as their copies land, while two
     * consumer warpgroups, 64 rows each, take turns on the tensor cores and overlap each tile's softmax with matrix
     * products; a persistent grid of at most one block per SM loops over the work items, so one item's output store
     * and Q load overlap the next item's first tiles. Splits of 4096 tokens.
     */
    PREFILL_SM90(128, 384, 128, 3, 4096, 4096);

    private static final int TARGET_SPLITS = 8;

    private final int rows;
    private final int threads;
    private final int blockTokens;
    private final int stages;
    private final int minSplitTokens;
    private final int maxSplitTokens;

    AttentionVariant(int rows, int threads, int blockTokens, int stages, int minSplitTokens, int maxSplitTokens) {
        this.rows = rows;
        this.threads = threads;
        this.blockTokens = blockTokens;
        this.stages = stages;
        this.minSplitTokens = minSplitTokens;
        this.maxSplitTokens = maxSplitTokens;
    }

    /** Packed rows of one tile. */
    int rows() {
        return rows;
    }

    int threads() {
        return threads;
    }

    /**
     * Context tokens per work item for a tile that attends to {@code kvLength} tokens: a multiple of the tile
     * size near {@code kvLength / 8}, within the variant's bounds. A function of the tile alone, so a request's
     * arithmetic does not depend on its batch.
     */
    int splitTokens(int kvLength) {
        int perSplit = (kvLength + TARGET_SPLITS - 1) / TARGET_SPLITS;
        int rounded = (perSplit + blockTokens - 1) / blockTokens * blockTokens;
        return Math.min(maxSplitTokens, Math.max(minSplitTokens, rounded));
    }

    String kernelName(int headDim) {
        return "flood_attention_" + name().toLowerCase(java.util.Locale.ROOT) + "_d" + headDim;
    }

    /**
     * Dynamic shared memory. DECODE: the stages of K and V tiles, rows padded by 8 bf16 (DecodeTile; d128:
     * 34 KB, six blocks per SM). PREFILL: Q rows and the stages of K and V tiles, padded the same way
     * (AttentionTile). PREFILL_SM90: Q rows and the stages of K and V tiles, unpadded (swizzled), and 1024 bytes to
     * align the start (HopperAttentionTile).
     */
    int sharedBytes(int headDim) {
        return switch (this) {
            case DECODE -> 2 * stages * blockTokens * (headDim + 8) * 2;
            case PREFILL -> (rows() + 2 * stages * blockTokens) * (headDim + 8) * 2;
            case PREFILL_SM90 -> (rows() + 2 * stages * blockTokens) * headDim * 2 + 1024;
        };
    }

    /**
     * Whether the fatbin has this variant for {@code headDim} on a device of {@code computeCapability} (10 x major
     * + minor): the wgmma code is built for sm_90a alone, which runs on compute capability 9.x only.
     */
    boolean runsOn(int computeCapability, int headDim) {
        return switch (this) {
            case DECODE, PREFILL -> java.util.Arrays.stream(Kernels.HEAD_DIMS).anyMatch(d -> d == headDim);
            case PREFILL_SM90 -> computeCapability / 10 == 9 && (headDim == 64 || headDim == 128);
        };
    }

    /** Whether a launch is one block per SM at most, each looping over work items, rather than one per item. */
    boolean persistent() {
        return this == PREFILL_SM90;
    }

    /** The variant a request with {@code packedRows} rows per KV head takes, given the step's prefill variant. */
    static AttentionVariant of(int packedRows, AttentionVariant prefill) {
        if (prefill == DECODE) {
            throw new IllegalArgumentException("the prefill variant cannot be DECODE");
        }
        return packedRows <= DECODE.rows() ? DECODE : prefill;
    }
}
