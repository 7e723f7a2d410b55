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
 * The chunk buffers are taken from the step slot's workspace once per call and reused by every chunk: the stream
 * runs the chunks in order, so a chunk's GEMM never overwrites logits that the previous chunk's kernel still
 * reads. What a call takes is {@link #workspaceBytes}, whatever the number of rows. {@link #launch} only queues
 * the work (a step's outputs, {@link DeviceOutputs}, read the results once the step has finished); the slot's
 * workspace is emptied only when the slot is reused, after those results were read. {@link #run} also waits and
 * copies the results back (the synchronous {@link CudaBackend#lmHeadLogprobs}).
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
    private final long chunkBytes;

    /** With chunks of at most {@code chunkBytes} of float32 logits (at least one row). */
    LmHeadLogprobs(CudaDevice device, Kernels kernels, Blas blas, long chunkBytes) {
        if (chunkBytes < 1) {
            throw new IllegalArgumentException("chunkBytes must be >= 1, got " + chunkBytes);
        }
        this.device = device;
        this.kernels = kernels;
        this.blas = blas;
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

    /**
     * Queues every chunk on the stream, in {@code slot}'s workspace, without waiting. Returns where the results
     * will be: per scored row its log-probability (double) and status ({@link #checkStatus}), and
     * {@code [rows, min(topN, vocab)]} top ids and log-probabilities. {@code hidden} [numTokens, hiddenSize] bf16
     * or float32; {@code scored} has at least one row.
     */
    GpuSampler.LogprobSlices launch(CudaTensor hidden, CudaWeight lmHead, ScoredRows scored, StepSlot slot) {
        check(hidden, lmHead, scored);
        int numRows = scored.size();
        if (numRows == 0) {
            throw new IllegalArgumentException("lmHeadLogprobs: no rows to launch");
        }
        int vocab = lmHead.rows();
        int hiddenSize = lmHead.cols();
        int topN = Math.min(scored.topN(), vocab);
        int chunkRows = chunkRows(chunkBytes, vocab, numRows);
        boolean fromFloat = hidden.dtype() == DType.F32;
        Workspace workspace = slot.workspace;

        DeviceSlice[] lists = slot.staging.upload(workspace, scored.rows(), scored.targets());
        DeviceSlice gathered = workspace.take((long) chunkRows * hiddenSize * Float.BYTES, "scored hidden rows");
        DeviceSlice input = fromFloat
                ? workspace.take((long) chunkRows * hiddenSize * 2, "bf16 scored hidden rows") : gathered;
        DeviceSlice logits = workspace.take((long) chunkRows * vocab * Float.BYTES,
                "lm_head logits chunk [" + chunkRows + ", " + vocab + "]");
        GpuSampler.LogprobSlices out = new GpuSampler.LogprobSlices(
                workspace.take((long) numRows * Double.BYTES, "scored logprobs"),
                workspace.take((long) numRows * Integer.BYTES, "scored logprob status"),
                workspace.take((long) numRows * topN * Integer.BYTES, "scored top ids"),
                workspace.take((long) numRows * topN * Double.BYTES, "scored top logprobs"));

        int unitsPerRow = hiddenSize * (fromFloat ? 2 : 1);
        for (int start = 0; start < numRows; start += chunkRows) {
            int count = Math.min(chunkRows, numRows - start);
            kernels.gatherRows(hidden.address(), lists[0].address() + (long) start * Integer.BYTES,
                    gathered.address(), count, unitsPerRow);
            if (fromFloat) {
                kernels.toBf16(gathered.address(), input.address(), (long) count * hiddenSize);
            }
            blas.matmul(input.address(), lmHead.address(), logits.address(), count, hiddenSize, vocab,
                    DType.F32);
            kernels.logSoftmaxGather(logits.address(), vocab, lists[1].address() + (long) start * Integer.BYTES,
                    topN, new Kernels.LogprobOutputs(
                            out.chosenLogprob().address() + (long) start * Double.BYTES,
                            out.topIds().address() + (long) start * topN * Integer.BYTES,
                            out.topLogprobs().address() + (long) start * topN * Double.BYTES,
                            out.status().address() + (long) start * Integer.BYTES), count);
        }
        return out;
    }

    /** {@link #launch}, then waits for the results: one {@link RowLogprobs} per scored row, in order. */
    List<RowLogprobs> run(CudaTensor hidden, CudaWeight lmHead, ScoredRows scored, StepSlot slot) {
        check(hidden, lmHead, scored);
        int numRows = scored.size();
        if (numRows == 0) {
            return List.of();
        }
        int topN = Math.min(scored.topN(), lmHead.rows());
        GpuSampler.LogprobSlices out = launch(hidden, lmHead, scored, slot);
        int[] statusHost = new int[numRows];
        device.copyToHost(Pointer.to(statusHost), out.status(), (long) numRows * Integer.BYTES);
        for (int r = 0; r < numRows; r++) {
            checkStatus(statusHost[r], r);
        }
        double[] logprobHost = new double[numRows];
        device.copyToHost(Pointer.to(logprobHost), out.chosenLogprob(), (long) numRows * Double.BYTES);
        int[] idsHost = new int[numRows * topN];
        double[] topHost = new double[numRows * topN];
        if (topN > 0) {
            device.copyToHost(Pointer.to(idsHost), out.topIds(), (long) numRows * topN * Integer.BYTES);
            device.copyToHost(Pointer.to(topHost), out.topLogprobs(), (long) numRows * topN * Double.BYTES);
        }
        List<RowLogprobs> result = new ArrayList<>(numRows);
        for (int r = 0; r < numRows; r++) {
            result.add(topN == 0 ? new RowLogprobs(logprobHost[r], NO_IDS, NO_LOGPROBS)
                    : new RowLogprobs(logprobHost[r], Arrays.copyOfRange(idsHost, r * topN, (r + 1) * topN),
                            Arrays.copyOfRange(topHost, r * topN, (r + 1) * topN)));
        }
        return result;
    }

    /** Fails with what {@code log_softmax_gather}'s status for scored row {@code row} says went wrong; 0 is fine. */
    static void checkStatus(int status, int row) {
        String error = statusError(status, row);
        if (error != null) {
            throw new FloodException(error);
        }
    }

    /** Why scored row {@code row} has no log-probability, by its kernel status; null when it has one. */
    static String statusError(int status, int row) {
        return switch (status) {
            case 0 -> null;
            case STATUS_BAD_LOGIT -> "scored row " + row + " has a NaN or +Infinity logit";
            case STATUS_ALL_MASKED -> "every logit of scored row " + row + " is -Infinity";
            default -> "log_softmax_gather returned status " + status + " for scored row " + row;
        };
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
