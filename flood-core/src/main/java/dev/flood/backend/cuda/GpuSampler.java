package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
import dev.flood.sampling.Draw;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.SamplingState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.List;
import jcuda.Pointer;

/**
 * Sampling and log-probabilities on the GPU (kernels/src/sampling.cuh): the host packs per-row parameters, one
 * kernel handles every row, and only token ids (or log-probabilities) come back. The launch methods queue the
 * kernels without waiting (steps in flight read the results later, {@link DeviceOutputs}); {@link #sample} and
 * {@link #logprobs} also wait and copy the results back.
 */
final class GpuSampler {

    /**
     * SamplingRow in sampling.cuh: top_p, min_p (double), seed, counter (int64), temperature, top_k, greedy,
     * mask_row (int32).
     */
    static final int ROW_BYTES = 48;

    private static final int STATUS_BAD_LOGIT = 1;
    private static final int STATUS_ALL_MASKED = 2;
    private static final int STATUS_OVERFLOW = 3;
    private static final int STATUS_BAD_TOKEN = 4;

    private final CudaDevice device;
    private final Kernels kernels;

    /** Device outputs of {@link #launchLogprobs}: {@code [rows]} chosen log-probability (double) and status, and
     * {@code [rows, topN]} top ids and top log-probabilities (double), row-major. */
    record LogprobSlices(DeviceSlice chosenLogprob, DeviceSlice status, DeviceSlice topIds, DeviceSlice topLogprobs) {
    }

    GpuSampler(CudaDevice device, Kernels kernels) {
        this.device = device;
        this.kernels = kernels;
    }

    /** Whether the kernel applies everything these parameters ask for: penalties are not on the GPU yet. */
    static boolean supports(SamplingParams p) {
        return p.repetitionPenalty() == 1 && p.presencePenalty() == 0 && p.frequencyPenalty() == 0;
    }

    /**
     * What the kernel reads for a batch of rows: the SamplingRow structs (little-endian) and the distinct
     * allowed-token masks of the constrained rows, {@code [numMasks, maskWords]} flattened. Rows whose requests are
     * in the same constraint state share one mask object (masks are interned per state), which goes up once.
     */
    record PackedRows(ByteBuffer params, int[] masks, int numMasks, int maskWords) {
    }

    /**
     * Packs {@code draws} for a logits row of {@code vocab}. Penalties are rejected: not on the GPU yet. A
     * constrained row's mask is read here, on the thread running the step: the engine took the request's previous
     * token (and advanced its constraint) before handing this step over, and takes the next only after it.
     */
    static PackedRows pack(List<Draw> draws, int vocab) {
        int maskWords = (vocab + 31) / 32;
        ByteBuffer rows = ByteBuffer.allocate(draws.size() * ROW_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Map<int[], Integer> maskRows = new IdentityHashMap<>();
        List<int[]> masks = new ArrayList<>();
        for (int r = 0; r < draws.size(); r++) {
            SamplingState state = draws.get(r).state();
            SamplingParams p = state.params();
            if (!supports(p)) {
                throw new IllegalArgumentException("row " + r + " asks for repetition, presence or frequency penalties,"
                        + " which GPU sampling does not apply yet; sample it on the CPU");
            }
            int maskRow = -1;
            if (state.constraint() != null) {
                int[] mask = state.constraint().allowedTokens();
                if (mask.length != maskWords) {
                    throw new IllegalArgumentException("row " + r + " has a token mask of " + mask.length
                            + " words for logits of " + vocab + " columns");
                }
                maskRow = maskRows.computeIfAbsent(mask, m -> {
                    masks.add(m);
                    return masks.size() - 1;
                });
            }
            rows.putDouble(p.topP()).putDouble(p.minP()).putLong(state.seed()).putLong(draws.get(r).counter())
                    .putFloat((float) p.temperature()).putInt(p.topK()).putInt(p.isGreedy() ? 1 : 0).putInt(maskRow);
        }
        int[] flat = new int[masks.size() * maskWords];
        for (int m = 0; m < masks.size(); m++) {
            System.arraycopy(masks.get(m), 0, flat, m * maskWords, maskWords);
        }
        return new PackedRows(rows.flip(), flat, masks.size(), maskWords);
    }

    /**
     * Queues the sampling kernel over every row of {@code logits [draws.size(), vocab]}: {@code tokens} and
     * {@code status} (int32 each, {@code [rows]}) receive each row's token and status.
     */
    void launchSample(CudaTensor logits, List<Draw> draws, DeviceSlice tokens, DeviceSlice status, StepSlot slot) {
        int rows = draws.size();
        int vocab = logits.cols();
        if (logits.rows() != rows) {
            throw new IllegalArgumentException(logits.rows() + " logits rows for " + rows + " sampling states");
        }
        for (Draw draw : draws) {
            if (draw.state().vocabSize() != vocab) {
                throw new IllegalArgumentException("a sampling state of vocabulary " + draw.state().vocabSize()
                        + " for logits of " + vocab + " columns");
            }
        }
        if (rows == 0) {
            return;
        }
        PackedRows packed = pack(draws, vocab);
        DeviceSlice params = slot.staging.upload(slot.workspace, packed.params());
        long masks = packed.numMasks() == 0 ? 0 : slot.staging.upload(slot.workspace, packed.masks())[0].address();
        DeviceSlice scratch = slot.workspace.take((long) rows * vocab * Float.BYTES, "sampling scores");
        kernels.sampleRows(logits.address(), vocab, params.address(), new Kernels.TokenMasks(masks, packed.maskWords()),
                scratch.address(), new Kernels.SampleOutputs(tokens.address(), status.address()), rows);
    }

    /**
     * Queues the log-probability kernel over every row of {@code logits [rows, vocab]} with the chosen token ids
     * at device address {@code chosen} ({@code [rows]} int32) and the {@code topN} best tokens of each row.
     */
    LogprobSlices launchLogprobs(CudaTensor logits, long chosen, int topN, Workspace workspace) {
        int rows = logits.rows();
        int n = Math.min(topN, logits.cols());
        LogprobSlices out = new LogprobSlices(workspace.take((long) rows * Double.BYTES, "chosen logprobs"),
                workspace.take((long) rows * Integer.BYTES, "logprob status"),
                workspace.take((long) rows * n * Integer.BYTES, "top token ids"),
                workspace.take((long) rows * n * Double.BYTES, "top logprobs"));
        kernels.tokenLogprobs(logits.address(), logits.cols(), chosen, n, new Kernels.LogprobOutputs(
                out.chosenLogprob().address(), out.topIds().address(), out.topLogprobs().address(),
                out.status().address()), rows);
        return out;
    }

    /** Samples every row and waits for the tokens; see {@link #launchSample}. */
    int[] sample(CudaTensor logits, List<Draw> draws, StepSlot slot) {
        int rows = draws.size();
        DeviceSlice results = slot.workspace.take(2L * Math.max(rows, 1) * Integer.BYTES, "sampled tokens");
        launchSample(logits, draws, results.slice(0, 4L * rows), results.slice(4L * rows, 4L * rows), slot);
        int[] host = new int[2 * rows];
        if (rows > 0) {
            device.copyToHost(Pointer.to(host), results, 2L * rows * Integer.BYTES);
        }
        for (int r = 0; r < rows; r++) {
            checkStatus(host[rows + r], r, draws.get(r).state().params().temperature());
        }
        return Arrays.copyOf(host, rows);
    }

    /** Log-probabilities of {@code chosen} tokens and the top tokens of every row; waits for them. */
    List<RowLogprobs> logprobs(CudaTensor logits, int[] chosen, int topN, StepSlot slot) {
        int rows = chosen.length;
        int vocab = logits.cols();
        if (logits.rows() != rows) {
            throw new IllegalArgumentException(logits.rows() + " logits rows for " + rows + " chosen tokens");
        }
        if (topN < 0) {
            throw new IllegalArgumentException("topN must be >= 0, got " + topN);
        }
        for (int r = 0; r < rows; r++) {
            if (chosen[r] < 0 || chosen[r] >= vocab) {
                throw new IllegalArgumentException("token id " + chosen[r] + " of row " + r
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (rows == 0) {
            return List.of();
        }
        int n = Math.min(topN, vocab);
        DeviceSlice chosenIds = slot.staging.upload(slot.workspace, chosen)[0];
        LogprobSlices out = launchLogprobs(logits, chosenIds.address(), topN, slot.workspace);
        int[] statusHost = new int[rows];
        device.copyToHost(Pointer.to(statusHost), out.status(), (long) rows * Integer.BYTES);
        for (int r = 0; r < rows; r++) {
            checkStatus(statusHost[r], r, 1);
        }
        double[] chosenHost = new double[rows];
        int[] idsHost = new int[rows * n];
        double[] topHost = new double[rows * n];
        device.copyToHost(Pointer.to(chosenHost), out.chosenLogprob(), (long) rows * Double.BYTES);
        if (n > 0) {
            device.copyToHost(Pointer.to(idsHost), out.topIds(), (long) rows * n * Integer.BYTES);
            device.copyToHost(Pointer.to(topHost), out.topLogprobs(), (long) rows * n * Double.BYTES);
        }
        List<RowLogprobs> result = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            result.add(new RowLogprobs(chosenHost[r], Arrays.copyOfRange(idsHost, r * n, (r + 1) * n),
                    Arrays.copyOfRange(topHost, r * n, (r + 1) * n)));
        }
        return result;
    }

    /** Fails with what a kernel's status for {@code row} says went wrong; 0 is fine. */
    static void checkStatus(int status, int row, double temperature) {
        String error = statusError(status, row, temperature);
        if (error != null) {
            throw new FloodException(error);
        }
    }

    /** What a kernel's status for {@code row} says went wrong, or null for 0 (fine). */
    static String statusError(int status, int row, double temperature) {
        return switch (status) {
            case 0 -> null;
            case STATUS_BAD_LOGIT -> "row " + row + " of the logits holds a NaN or +Infinity";
            case STATUS_ALL_MASKED -> "every logit of row " + row + " is -Infinity (every allowed one, if its output"
                    + " is constrained)";
            case STATUS_OVERFLOW -> "the top score of row " + row + " overflows to Infinity after temperature "
                    + temperature;
            case STATUS_BAD_TOKEN -> "row " + row + " asks the log-probability of a token outside the vocabulary"
                    + " (its draw failed)";
            default -> "GPU sampling returned status " + status + " for row " + row;
        };
    }
}
