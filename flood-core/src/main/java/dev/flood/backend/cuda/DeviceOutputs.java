package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepOutputs;
import dev.flood.sampling.Draw;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.Sampler;
import dev.flood.weights.DType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A step's outputs on the GPU, launched without waiting and read back when the engine collects the step; and the
 * tokens a step draws, which the next step's deferred rows read on the device.
 *
 * <p>{@link #launch} queues, in stream order: (1) for sample rows whose requests have no penalties, the sampling
 * kernel into the slot's drawn-token buffer (compact: the i-th such row at i), and of those rows that want
 * log-probabilities, the log-probability kernel on their drawn tokens; (2) for rows with penalties, a copy of
 * their logits rows, drawn at {@link PendingOutputs#await} by the CPU {@link Sampler}; (3) for scored rows,
 * {@link LmHeadLogprobs} over the hidden states, its chunk of logits in the slot's workspace (which nothing
 * overwrites before the slot is reused, after await). Every result goes to the slot's pinned readback by
 * asynchronous copies; await waits for the step's end event and reads it.
 *
 * <p>Threads: {@link #beginStep}, {@link #launch} and {@link #resolveDeferred} run on the thread running steps;
 * a {@link PendingOutputs} is awaited on the engine thread.
 */
final class DeviceOutputs {

    /** Where a step's device-drawn tokens are, and the compact index of each sample row (-1: drawn on the host). */
    private record Drawn(DeviceSlice tokens, int[] deviceRowOf) {
    }

    private final CudaBackend backend;     // gathers logits rows in the current step
    private final GpuSampler sampler;
    private final LmHeadLogprobs lmHeadLogprobs;
    private final Kernels kernels;
    private Drawn drawnLast;               // by the step begun last; null if it launched no draws
    private Drawn drawnBefore;             // by the step before it, read by its deferred rows

    DeviceOutputs(CudaBackend backend, GpuSampler sampler, LmHeadLogprobs lmHeadLogprobs, Kernels kernels) {
        this.backend = backend;
        this.sampler = sampler;
        this.lmHeadLogprobs = lmHeadLogprobs;
        this.kernels = kernels;
    }

    void beginStep() {
        drawnBefore = drawnLast;
        drawnLast = null;
    }

    /**
     * The device address of the step's token ids with its deferred rows patched in from the previous step's
     * drawn tokens ({@code flood_resolve_tokens}), or {@code tokenIds} itself when it has none.
     */
    long resolveDeferred(ForwardBatch batch, long tokenIds, int vocab, StepSlot slot) {
        if (!batch.hasDeferredTokens()) {
            return tokenIds;
        }
        Deferred deferred = Deferred.of(batch, drawnBefore == null ? null : drawnBefore.deviceRowOf());
        DeviceSlice[] uploaded = slot.staging.upload(slot.workspace, deferred.tokenIds(), deferred.sources());
        if (drawnBefore != null) {
            kernels.resolveTokens(uploaded[0].address(), uploaded[1].address(), drawnBefore.tokens().address(),
                    deferred.tokenIds().length, vocab);
        }
        return uploaded[0].address();
    }

    /**
     * What {@code flood_resolve_tokens} is given: the token ids with 0 in deferred rows, and per row the compact
     * index of its token in the previous step's drawn tokens (-1: keep the id). When the previous step drew nothing
     * ({@code deviceRowOf} null: it failed first) deferred rows keep 0; the engine discards them.
     */
    record Deferred(int[] tokenIds, int[] sources) {

        static Deferred of(ForwardBatch batch, int[] deviceRowOf) {
            int[] ids = batch.tokenIds().clone();
            int[] sources = new int[ids.length];
            for (int t = 0; t < ids.length; t++) {
                int sampleRow = batch.deferredTokens()[t];
                sources[t] = -1;
                if (sampleRow < 0) {
                    continue;
                }
                ids[t] = 0;
                if (deviceRowOf == null) {
                    continue;
                }
                if (sampleRow >= deviceRowOf.length || deviceRowOf[sampleRow] < 0) {
                    throw new IllegalArgumentException("row " + t + " feeds sample row " + sampleRow + " of the"
                            + " previous step, which drew no token there on the device");
                }
                sources[t] = deviceRowOf[sampleRow];
            }
            return new Deferred(ids, sources);
        }
    }

    /**
     * Which sample rows are drawn where: on the device in compact order ({@code onDevice}; {@code deviceRowOf[k]}
     * is sample row k's compact index, -1 when it is drawn on the host), on the host ({@code onHost}: requests
     * with penalties), and which compact device rows want log-probabilities ({@code wanting}).
     */
    record Partition(int[] onDevice, int[] onHost, int[] wanting, int[] deviceRowOf) {

        static Partition of(OutputSpec spec) {
            int numSampled = spec.sampleRows().length;
            List<Integer> onDevice = new ArrayList<>();
            List<Integer> onHost = new ArrayList<>();
            List<Integer> wanting = new ArrayList<>();
            int[] deviceRowOf = new int[numSampled];
            for (int k = 0; k < numSampled; k++) {
                Draw draw = spec.draws().get(k);
                if (GpuSampler.supports(draw.state().params())) {
                    deviceRowOf[k] = onDevice.size();
                    if (draw.state().params().logprobs() > 0) {
                        wanting.add(onDevice.size());
                    }
                    onDevice.add(k);
                } else {
                    deviceRowOf[k] = -1;
                    onHost.add(k);
                }
            }
            return new Partition(toArray(onDevice), toArray(onHost), toArray(wanting), deviceRowOf);
        }
    }

    /** Queues the step's outputs (see the class comment); step {@code use} of {@code slot} is running. */
    PendingOutputs launch(StepHead head, OutputSpec spec, StepSlot slot, long use) {
        CudaWeight lmHead = CudaWeight.of(head.lmHead());
        int vocab = lmHead.rows();
        CudaTensor logits = spec.sampleRows().length == 0 ? null
                : CudaTensor.of(head.logitsFor(spec)).require(DType.F32, "launchOutputs");
        Partition where = Partition.of(spec);
        Layout layout = new Layout(where.onDevice().length, where.wanting().length,
                Math.min(spec.maxTopLogprobs(), vocab), where.onHost().length, vocab, spec.scoreRows().length);
        slot.readback.begin(layout.bytes());
        Pending pending = new Pending(slot, use, spec, where, layout);
        if (where.onDevice().length > 0) {
            int numDrawn = where.onDevice().length;
            DeviceSlice drawn = slot.drawn(numDrawn);
            DeviceSlice tokens = drawn.slice(0, 4L * numDrawn);
            DeviceSlice status = drawn.slice(4L * slot.drawCapacity(), 4L * numDrawn);
            CudaTensor rows = gather(logits, pick(spec.sampleRows(), where.onDevice()));
            sampler.launchSample(rows, pick(spec.draws(), where.onDevice()), tokens, status, slot);
            pending.tokens = slot.readback.copyFrom(tokens, tokens.bytes());
            pending.statuses = slot.readback.copyFrom(status, status.bytes());
            if (where.wanting().length > 0) {
                CudaTensor wantRows = gather(rows, where.wanting());
                long chosen = where.wanting().length == numDrawn ? tokens.address()
                        : gatherTokens(tokens, where.wanting(), slot);
                pending.tokenLogprobs = readBack(slot, sampler.launchLogprobs(wantRows, chosen, layout.topN(),
                        slot.workspace), layout.wanting(), layout.topN());
            }
            drawnLast = new Drawn(tokens, where.deviceRowOf());
        }
        if (where.onHost().length > 0) {
            CudaTensor rows = gather(logits, pick(spec.sampleRows(), where.onHost()));
            pending.hostLogits = slot.readback.copyFrom(rows.memory(), 4L * rows.rows() * vocab);
        }
        if (spec.scoreRows().length > 0) {
            GpuSampler.LogprobSlices scored = lmHeadLogprobs.launch(CudaTensor.of(head.hidden()), lmHead,
                    spec.scored(), slot);
            pending.scores = readBack(slot, scored, spec.scoreRows().length, 0);
        }
        return pending;
    }

    /** {@code logits} itself when {@code rows} are all its rows in order, else those rows gathered. */
    private CudaTensor gather(CudaTensor logits, int[] rows) {
        boolean all = rows.length == logits.rows();
        for (int i = 0; all && i < rows.length; i++) {
            all = rows[i] == i;
        }
        return all ? logits : CudaTensor.of(backend.gatherRows(logits, rows));
    }

    /** The device-drawn tokens at {@code compactRows}, as a new int32 array in the workspace. */
    private long gatherTokens(DeviceSlice tokens, int[] compactRows, StepSlot slot) {
        DeviceSlice list = slot.staging.upload(slot.workspace, compactRows)[0];
        DeviceSlice chosen = slot.workspace.take(4L * compactRows.length, "chosen tokens");
        kernels.gatherRows(tokens.address(), list.address(), chosen.address(), compactRows.length, 2);
        return chosen.address();
    }

    private static Offsets readBack(StepSlot slot, GpuSampler.LogprobSlices out, int rows, int topN) {
        return new Offsets(slot.readback.copyFrom(out.chosenLogprob(), 8L * rows),
                slot.readback.copyFrom(out.status(), 4L * rows),
                slot.readback.copyFrom(out.topIds(), 4L * rows * topN),
                slot.readback.copyFrom(out.topLogprobs(), 8L * rows * topN));
    }

    /** Sizes of a step's results: device-drawn rows, those wanting log-probabilities, host rows, scored rows. */
    private record Layout(int device, int wanting, int topN, int host, int vocab, int scored) {
        long bytes() {
            return PinnedReadback.reserve(4L * device, 4L * device, 8L * wanting, 4L * wanting,
                    4L * wanting * topN, 8L * wanting * topN, 4L * host * vocab, 8L * scored, 4L * scored);
        }
    }

    /** Readback offsets of one log-probability launch. */
    private record Offsets(long chosenLogprob, long status, long topIds, long topLogprobs) {
    }

    /** A launched step's outputs; read on the engine thread once the slot's step has finished. */
    private static final class Pending implements PendingOutputs {
        private final StepSlot slot;
        private final long use;
        private final OutputSpec spec;
        private final int[] onDevice;     // sample rows drawn on the device, in compact order
        private final int[] onHost;       // sample rows drawn at await
        private final int[] wanting;      // compact device rows with log-probabilities
        private final Layout layout;
        // readback offsets, set as the results' copies are queued
        private long tokens;
        private long statuses;
        private long hostLogits;
        private Offsets tokenLogprobs;
        private Offsets scores;

        Pending(StepSlot slot, long use, OutputSpec spec, Partition where, Layout layout) {
            this.slot = slot;
            this.use = use;
            this.spec = spec;
            this.onDevice = where.onDevice();
            this.onHost = where.onHost();
            this.wanting = where.wanting();
            this.layout = layout;
        }

        /** The step's results; a row whose status or host draw failed gets its error (see {@link StepOutputs}). */
        @Override
        public StepOutputs await() {
            slot.awaitFinished(use);
            ByteBuffer results = slot.readback.view();
            int[] drawn = new int[spec.sampleRows().length];
            RowLogprobs[] logprobs = new RowLogprobs[drawn.length];
            String[] sampleErrors = new String[drawn.length];
            for (int i = 0; i < onDevice.length; i++) {
                Draw draw = spec.draws().get(onDevice[i]);
                sampleErrors[onDevice[i]] = GpuSampler.statusError(results.getInt((int) statuses + 4 * i),
                        onDevice[i], draw.state().params().temperature());
                drawn[onDevice[i]] = sampleErrors[onDevice[i]] == null ? results.getInt((int) tokens + 4 * i) : 0;
            }
            for (int w = 0; w < wanting.length; w++) {
                int row = onDevice[wanting[w]];
                if (sampleErrors[row] == null) {
                    sampleErrors[row] = statusError(results, tokenLogprobs, w, row);
                }
                if (sampleErrors[row] == null) {
                    logprobs[row] = rowLogprobs(results, tokenLogprobs, w, layout.topN());
                }
            }
            drawOnHost(results, drawn, logprobs, sampleErrors);
            double[] scored = new double[spec.scoreRows().length];
            String[] scoreErrors = new String[scored.length];
            for (int r = 0; r < scored.length; r++) {
                scoreErrors[r] = LmHeadLogprobs.statusError(results.getInt((int) scores.status() + 4 * r), r);
                if (scoreErrors[r] == null) {
                    scored[r] = results.getDouble((int) scores.chosenLogprob() + 8 * r);
                }
            }
            return new StepOutputs(drawn, logprobs, scored, sampleErrors, scoreErrors);
        }

        /** Rows with penalties: the CPU sampler on their logits, with their requests' states as they are now. */
        private void drawOnHost(ByteBuffer results, int[] drawn, RowLogprobs[] logprobs, String[] errors) {
            if (onHost.length == 0) {
                return;
            }
            int vocab = layout.vocab();
            float[] rows = new float[onHost.length * vocab];
            results.position((int) hostLogits);
            results.asFloatBuffer().get(rows);
            Sampler host = new Sampler();
            float[] scratch = new float[vocab];
            for (int i = 0; i < onHost.length; i++) {
                Draw draw = spec.draws().get(onHost[i]);
                try {
                    drawn[onHost[i]] = host.sample(rows, i * vocab, draw, scratch);
                    if (draw.state().params().logprobs() > 0) {
                        logprobs[onHost[i]] = Sampler.rowLogprobs(rows, i * vocab, vocab, drawn[onHost[i]],
                                spec.maxTopLogprobs());
                    }
                } catch (FloodException e) {
                    drawn[onHost[i]] = 0;
                    errors[onHost[i]] = e.getMessage();
                }
            }
        }

        private static String statusError(ByteBuffer results, Offsets at, int row, int reportedRow) {
            return GpuSampler.statusError(results.getInt((int) at.status() + 4 * row), reportedRow, 1);
        }

        private static RowLogprobs rowLogprobs(ByteBuffer results, Offsets at, int row, int topN) {
            int[] ids = new int[topN];
            double[] values = new double[topN];
            for (int n = 0; n < topN; n++) {
                ids[n] = results.getInt((int) at.topIds() + 4 * (row * topN + n));
                values[n] = results.getDouble((int) at.topLogprobs() + 8 * (row * topN + n));
            }
            return new RowLogprobs(results.getDouble((int) at.chosenLogprob() + 8 * row), ids, values);
        }
    }

    private static int[] pick(int[] values, int[] indices) {
        return Arrays.stream(indices).map(i -> values[i]).toArray();
    }

    private static <T> List<T> pick(List<T> values, int[] indices) {
        return Arrays.stream(indices).mapToObj(values::get).toList();
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
