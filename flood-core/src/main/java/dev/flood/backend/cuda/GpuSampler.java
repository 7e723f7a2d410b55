package dev.flood.backend.cuda;

import dev.flood.sampling.RowLogprobs;
import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
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
 * kernel handles every row, and only token ids (or log-probabilities) come back.
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

    private final CudaDevice device;
    private final Kernels kernels;

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

    /** Packs {@code states} for a logits row of {@code vocab}. Penalties are rejected: not on the GPU yet. */
    static PackedRows pack(List<SamplingState> states, int vocab) {
        int maskWords = (vocab + 31) / 32;
        ByteBuffer rows = ByteBuffer.allocate(states.size() * ROW_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Map<int[], Integer> maskRows = new IdentityHashMap<>();
        List<int[]> masks = new ArrayList<>();
        for (int r = 0; r < states.size(); r++) {
            SamplingState state = states.get(r);
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
            rows.putDouble(p.topP()).putDouble(p.minP()).putLong(state.seed()).putLong(state.numGenerated())
                    .putFloat((float) p.temperature()).putInt(p.topK()).putInt(p.isGreedy() ? 1 : 0).putInt(maskRow);
        }
        int[] flat = new int[masks.size() * maskWords];
        for (int m = 0; m < masks.size(); m++) {
            System.arraycopy(masks.get(m), 0, flat, m * maskWords, maskWords);
        }
        return new PackedRows(rows.flip(), flat, masks.size(), maskWords);
    }

    int[] sample(CudaTensor logits, List<SamplingState> states, PinnedStaging staging, Workspace workspace) {
        int rows = states.size();
        int vocab = logits.cols();
        if (logits.rows() != rows) {
            throw new IllegalArgumentException(logits.rows() + " logits rows for " + rows + " sampling states");
        }
        for (SamplingState state : states) {
            if (state.vocabSize() != vocab) {
                throw new IllegalArgumentException("a sampling state of vocabulary " + state.vocabSize()
                        + " for logits of " + vocab + " columns");
            }
        }
        if (rows == 0) {
            return new int[0];
        }
        PackedRows packed = pack(states, vocab);
        DeviceSlice params = staging.upload(workspace, packed.params());
        long masks = packed.numMasks() == 0 ? 0 : staging.upload(workspace, packed.masks())[0].address();
        DeviceSlice scratch = workspace.take((long) rows * vocab * Float.BYTES, "sampling scores");
        DeviceSlice results = workspace.take(2L * rows * Integer.BYTES, "sampled tokens");
        kernels.sampleRows(logits.address(), vocab, params.address(), new Kernels.TokenMasks(masks, packed.maskWords()),
                scratch.address(), new Kernels.SampleOutputs(results.address(),
                        results.address() + (long) rows * Integer.BYTES), rows);
        int[] host = new int[2 * rows];
        device.copyToHost(Pointer.to(host), results, 2L * rows * Integer.BYTES);
        for (int r = 0; r < rows; r++) {
            checkStatus(host[rows + r], r, states.get(r).params().temperature());
        }
        return Arrays.copyOf(host, rows);
    }

    List<RowLogprobs> logprobs(CudaTensor logits, int[] chosen, int topN, PinnedStaging staging, Workspace workspace) {
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
        DeviceSlice chosenIds = staging.upload(workspace, chosen)[0];
        DeviceSlice chosenLogprob = workspace.take((long) rows * Double.BYTES, "chosen logprobs");
        DeviceSlice topIds = workspace.take((long) rows * n * Integer.BYTES, "top token ids");
        DeviceSlice topLogprobs = workspace.take((long) rows * n * Double.BYTES, "top logprobs");
        DeviceSlice status = workspace.take((long) rows * Integer.BYTES, "logprob status");
        kernels.tokenLogprobs(logits.address(), vocab, chosenIds.address(), n, new Kernels.LogprobOutputs(
                chosenLogprob.address(), topIds.address(), topLogprobs.address(), status.address()), rows);
        int[] statusHost = new int[rows];
        device.copyToHost(Pointer.to(statusHost), status, (long) rows * Integer.BYTES);
        for (int r = 0; r < rows; r++) {
            checkStatus(statusHost[r], r, 1);
        }
        double[] chosenHost = new double[rows];
        int[] idsHost = new int[rows * n];
        double[] topHost = new double[rows * n];
        device.copyToHost(Pointer.to(chosenHost), chosenLogprob, (long) rows * Double.BYTES);
        if (n > 0) {
            device.copyToHost(Pointer.to(idsHost), topIds, (long) rows * n * Integer.BYTES);
            device.copyToHost(Pointer.to(topHost), topLogprobs, (long) rows * n * Double.BYTES);
        }
        List<RowLogprobs> result = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            result.add(new RowLogprobs(chosenHost[r], Arrays.copyOfRange(idsHost, r * n, (r + 1) * n),
                    Arrays.copyOfRange(topHost, r * n, (r + 1) * n)));
        }
        return result;
    }

    private static void checkStatus(int status, int row, double temperature) {
        switch (status) {
            case 0 -> { }
            case STATUS_BAD_LOGIT -> throw new FloodException("row " + row + " of the logits holds a NaN or +Infinity");
            case STATUS_ALL_MASKED -> throw new FloodException("every logit of row " + row + " is -Infinity (every"
                    + " allowed one, if its output is constrained)");
            case STATUS_OVERFLOW -> throw new FloodException("the top score of row " + row + " overflows to Infinity"
                    + " after temperature " + temperature);
            default -> throw new FloodException("GPU sampling returned status " + status + " for row " + row);
        }
    }
}
