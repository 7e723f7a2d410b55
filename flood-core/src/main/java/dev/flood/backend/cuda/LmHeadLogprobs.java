package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.backend.ScoredRows;
import dev.flood.sampling.RowLogprobs;
import dev.flood.weights.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.Pointer;

/**
 * Scoring's log-probabilities from final hidden states in bounded memory ({@link CudaBackend#lmHeadLogprobs}).
 * The scored rows run in chunks of at most {@link #chunkRows} rows; per chunk, on the backend's stream:
 * <ol>
 *   <li>gather the chunk's hidden rows (bf16; a float32 input is rounded to bf16, as {@code linear} does);
 *   <li>the lm_head GEMM into one float32 logits buffer {@code [chunkRows, vocab]}: bf16 inputs, float32
 *       accumulation and output;
 *   <li>one pass of {@code log_softmax_gather} over it, each row's results written to outputs for all rows.
 * </ol>
 * The chunk buffers are taken from the step workspace once per call and reused by every chunk: the stream runs
 * the chunks in order, so a chunk's GEMM never overwrites logits that the previous chunk's kernel still reads.
 * What a call takes is {@link #workspaceBytes}, whatever the number of rows; results come back in one copy.
 *
 * <p>Why float32 logits: bf16 logits would be off by up to 2^-9 of their size (0.06 nats for a logit of 30),
 * which scoring cannot afford; writing and re-reading them costs about 1 MB of memory traffic per row, a few
 * percent of the GEMM's 2 * hidden * vocab FLOPs per row at H200 rates. Why chunks of 512 MiB (1,046 rows of a
 * 128,256-token vocabulary): a GEMM with a thousand or more rows per read of the 1 GiB lm_head is compute-bound
 * (about 680 FLOPs per byte for hidden 4,096), while the buffer stays small beside the KV cache.
 */
final class LmHeadLogprobs {

    /** Float32 logits one chunk may hold: 512 MiB. */
    static final long DEFAULT_CHUNK_BYTES = 512L << 20;

    private static final int STATUS_BAD_LOGIT = 1;
    private static final int STATUS_ALL_MASKED = 2;
    private static final int[] NO_IDS = new int[0];
    private static final double[] NO_LOGPROBS = new double[0];

    private final CudaDevice device;
    private final Kernels kernels;
    private final Blas blas;
    private final PinnedStaging staging;
    private final Workspace workspace;
    private final long chunkBytes;

    /** With chunks of at most {@code chunkBytes} of float32 logits (at least one row). */
    LmHeadLogprobs(CudaDevice device, Kernels kernels, Blas blas, PinnedStaging staging, Workspace workspace,
                   long chunkBytes) {
        if (chunkBytes < 1) {
            throw new IllegalArgumentException("chunkBytes must be >= 1, got " + chunkBytes);
        }
        this.device = device;
        this.kernels = kernels;
        this.blas = blas;
        this.staging = staging;
        this.workspace = workspace;
        this.chunkBytes = chunkBytes;
    }

    /** Rows per chunk: as many float32 logits rows of {@code vocab} as {@code chunkBytes} holds, 1 to numRows. */
    static int chunkRows(long chunkBytes, int vocab, int numRows) {
        return (int) Math.max(1, Math.min(numRows, chunkBytes / ((long) vocab * Float.BYTES)));
    }

    /**
     * The most workspace one call over {@code numRows} rows takes: the chunk's gathered rows (float32 room) and
     * their bf16 copy, the chunk's logits, the row and target lists, and the per-row outputs.
     */
    static long workspaceBytes(long chunkBytes, int hiddenSize, int vocab, int numRows, int topN) {
        long chunk = chunkRows(chunkBytes, vocab, numRows);
        long input = chunk * hiddenSize * (Float.BYTES + 2L);
        long logits = chunk * vocab * Float.BYTES;
        long perRow = 2L * Integer.BYTES + Double.BYTES + Integer.BYTES + (long) topN * (Integer.BYTES + Double.BYTES);
        return input + logits + (long) numRows * perRow + 8 * Workspace.ALIGNMENT;
    }

    /** One {@link RowLogprobs} per scored row, in order. {@code hidden} [numTokens, hiddenSize] bf16 or float32. */
    List<RowLogprobs> run(CudaTensor hidden, CudaWeight lmHead, ScoredRows scored) {
        check(hidden, lmHead, scored);
        int numRows = scored.size();
        if (numRows == 0) {
            return List.of();
        }
        int vocab = lmHead.rows();
        int hiddenSize = lmHead.cols();
        int topN = Math.min(scored.topN(), vocab);
        int chunkRows = chunkRows(chunkBytes, vocab, numRows);
        boolean fromFloat = hidden.dtype() == DType.F32;

        DeviceSlice[] lists = staging.upload(workspace, scored.rows(), scored.targets());
        DeviceSlice gathered = workspace.take((long) chunkRows * hiddenSize * Float.BYTES, "scored hidden rows");
        DeviceSlice input = fromFloat
                ? workspace.take((long) chunkRows * hiddenSize * 2, "bf16 scored hidden rows") : gathered;
        DeviceSlice logits = workspace.take((long) chunkRows * vocab * Float.BYTES,
                "lm_head logits chunk [" + chunkRows + ", " + vocab + "]");
        DeviceSlice logprob = workspace.take((long) numRows * Double.BYTES, "scored logprobs");
        DeviceSlice status = workspace.take((long) numRows * Integer.BYTES, "scored logprob status");
        DeviceSlice topIds = workspace.take((long) numRows * topN * Integer.BYTES, "scored top ids");
        DeviceSlice topLogprobs = workspace.take((long) numRows * topN * Double.BYTES, "scored top logprobs");

        int unitsPerRow = hiddenSize * (fromFloat ? 2 : 1);
        for (int start = 0; start < numRows; start += chunkRows) {
            int count = Math.min(chunkRows, numRows - start);
            kernels.gatherRows(hidden.address(), lists[0].address() + (long) start * Integer.BYTES,
                    gathered.address(), count, unitsPerRow);
            if (fromFloat) {
                kernels.toBf16(gathered.address(), input.address(), (long) count * hiddenSize);
            }
            blas.matmul(input.address(), lmHead.address(), logits.address(), count, hiddenSize, vocab);
            kernels.logSoftmaxGather(logits.address(), vocab, lists[1].address() + (long) start * Integer.BYTES,
                    topN, new Kernels.LogprobOutputs(
                            logprob.address() + (long) start * Double.BYTES,
                            topIds.address() + (long) start * topN * Integer.BYTES,
                            topLogprobs.address() + (long) start * topN * Double.BYTES,
                            status.address() + (long) start * Integer.BYTES), count);
        }
        return results(numRows, topN, logprob, status, topIds, topLogprobs);
    }

    private List<RowLogprobs> results(int numRows, int topN, DeviceSlice logprob, DeviceSlice status,
                                      DeviceSlice topIds, DeviceSlice topLogprobs) {
        int[] statusHost = new int[numRows];
        device.copyToHost(Pointer.to(statusHost), status, (long) numRows * Integer.BYTES);
        for (int r = 0; r < numRows; r++) {
            switch (statusHost[r]) {
                case 0 -> { }
                case STATUS_BAD_LOGIT -> throw new FloodException("scored row " + r + " has a NaN or +Infinity logit");
                case STATUS_ALL_MASKED -> throw new FloodException("every logit of scored row " + r + " is -Infinity");
                default -> throw new FloodException("log_softmax_gather returned status " + statusHost[r]
                        + " for scored row " + r);
            }
        }
        double[] logprobHost = new double[numRows];
        device.copyToHost(Pointer.to(logprobHost), logprob, (long) numRows * Double.BYTES);
        int[] idsHost = new int[numRows * topN];
        double[] topHost = new double[numRows * topN];
        if (topN > 0) {
            device.copyToHost(Pointer.to(idsHost), topIds, (long) numRows * topN * Integer.BYTES);
            device.copyToHost(Pointer.to(topHost), topLogprobs, (long) numRows * topN * Double.BYTES);
        }
        List<RowLogprobs> result = new ArrayList<>(numRows);
        for (int r = 0; r < numRows; r++) {
            result.add(topN == 0 ? new RowLogprobs(logprobHost[r], NO_IDS, NO_LOGPROBS)
                    : new RowLogprobs(logprobHost[r], Arrays.copyOfRange(idsHost, r * topN, (r + 1) * topN),
                            Arrays.copyOfRange(topHost, r * topN, (r + 1) * topN)));
        }
        return result;
    }

    private static void check(CudaTensor hidden, CudaWeight lmHead, ScoredRows scored) {
        lmHead.require(DType.BF16, "lmHeadLogprobs");
        if (hidden.dtype() != DType.BF16) {
            hidden.require(DType.F32, "lmHeadLogprobs");
        }
        if (hidden.cols() != lmHead.cols()) {
            throw new IllegalArgumentException("lmHeadLogprobs: hidden [" + hidden.rows() + ", " + hidden.cols()
                    + "] with lm_head [" + lmHead.rows() + ", " + lmHead.cols() + "]");
        }
        ScoredRows.check(scored, hidden.rows(), lmHead.rows());
    }
}
