package dev.flood.backend.cuda;

/**
 * The two instantiations of the segment attention kernel (kernels/src/segment_attention.cuh). A request whose
 * packed rows (query tokens x query heads per KV head) fit one 16-row tile takes the decode variant, else the
 * prefill variant; the choice depends on the request alone, never on the rest of the batch, and so does its KV
 * split size, which keeps each request's arithmetic the same whatever it is batched with.
 *
 * @param warps       warps per block; each owns 16 packed rows
 * @param blockTokens K/V tokens per shared-memory tile
 * @param splitTokens context tokens per work item; longer contexts are split and merged
 */
enum AttentionVariant {
    /** Decode and short appends: one warp, 16 rows, 32-token tiles, splits of 256 tokens across the grid. */
    DECODE(1, 32, 256),
    /** Prefill and long appends: four warps, 64 rows, 64-token tiles, splits of 4096 tokens. */
    PREFILL(4, 64, 4096);

    private final int warps;
    private final int blockTokens;
    private final int splitTokens;

    AttentionVariant(int warps, int blockTokens, int splitTokens) {
        this.warps = warps;
        this.blockTokens = blockTokens;
        this.splitTokens = splitTokens;
    }

    /** Packed rows of one tile. */
    int rows() {
        return 16 * warps;
    }

    int threads() {
        return 32 * warps;
    }

    int splitTokens() {
        return splitTokens;
    }

    String kernelName(int headDim) {
        return "flood_attention_" + name().toLowerCase(java.util.Locale.ROOT) + "_d" + headDim;
    }

    /** Dynamic shared memory: Q rows and two stages of K and V tiles, rows padded by 8 bf16 (AttentionTile). */
    int sharedBytes(int headDim) {
        return (rows() + 4 * blockTokens) * (headDim + 8) * 2;
    }

    /** The variant a request with {@code packedRows} rows per KV head takes. */
    static AttentionVariant of(int packedRows) {
        return packedRows <= DECODE.rows() ? DECODE : PREFILL;
    }
}
