package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

import dev.flood.backend.ForwardBatch;
import dev.flood.cli.Workload;
import dev.flood.weights.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUevent;

/**
 * The attention kernels alone, timed with CUDA events on the GPU machine (tools/gpu/run-gpu.sh runs it):
 * <ul>
 *   <li>the memory ceiling: a 1 GiB device-to-device copy, bytes read plus bytes written over time;
 *   <li>decode attention, 128 requests of one query token, contexts 512, 2048 and 8192 (each in two extents),
 *       32 query and 8 KV heads of dim 128: achieved bandwidth = the fewest bytes (K and V read once, queries
 *       read, outputs written) over time, as a fraction of the copy bandwidth;
 *   <li>prefill attention, causal, 32 query and 8 KV heads: 4 · headDim · heads · Σ n(n+1)/2 FLOPs over time. One
 *       request of 4,096 tokens at d128, one line per prefill variant that runs on this GPU (PREFILL: mma.sync;
 *       PREFILL_SM90: the persistent warp-specialized wgmma kernel, on compute capability 9.x); then, with the
 *       engine's variant, 8,192 tokens at d128 and d64, and W's prompts filling a 16,384-token step at both.
 * </ul>
 * Inputs are random (never zeros); before timing, each case runs once into a NaN-poisoned output that must come
 * back fully written and finite. Median of 20 timed runs after at least 300 ms of warm-up runs. Not a JUnit test.
 *
 * <p>Arguments {@code BATCH CONTEXT[,CONTEXT...]} run decode alone at that batch and those contexts (e.g. under
 * {@code ncu}, or at an engine's 1,024 running requests); {@code prefill HEAD_DIM LENGTH[,LENGTH...]} (or
 * {@code prefill HEAD_DIM w} for W's prompts in a 16,384-token step) runs that prefill case alone.
 */
public final class AttentionBenchmark {

    private static final int NUM_HEADS = 32;
    private static final int NUM_KV_HEADS = 8;
    private static final int HEAD_DIM = 128;
    private static final int KV_SIZE = NUM_KV_HEADS * HEAD_DIM;
    private static final int Q_SIZE = NUM_HEADS * HEAD_DIM;
    private static final int DECODE_BATCH = 128;
    private static final int[] DECODE_CONTEXTS = {512, 2048, 8192};
    private static final int PREFILL_TOKENS = 4096;
    /**
     * Warm-up per case, at least this much GPU work: an idle H200 sits at a low clock and takes tens of
     * milliseconds to reach full speed, so a few warm-up runs measure the clock ramp, not the kernel (the same kernel
     * read 292-300 TFLOP/s after a short warm-up and 310-312 after other kernels had run first).
     */
    private static final long WARMUP_NANOS = 300_000_000L;
    private static final int REPS = 20;

    private final CudaDevice device;
    private final Kernels kernels;
    private final Workspace workspace;
    private final PinnedStaging staging;
    private final List<String> table = new ArrayList<>();

    private AttentionBenchmark(CudaDevice device) {
        this.device = device;
        this.kernels = new Kernels(device, LaunchChecking.ASYNC);
        this.workspace = new Workspace(device);
        this.staging = new PinnedStaging(device, 16L << 20);
    }

    public static void main(String[] args) {
        boolean prefillOnly = args.length == 3 && args[0].equals("prefill");
        if (args.length != 0 && args.length != 2 && !prefillOnly) {
            throw new IllegalArgumentException("usage: AttentionBenchmark [BATCH CONTEXT[,CONTEXT...]]"
                    + " | [prefill HEAD_DIM LENGTH[,LENGTH...]|w]");
        }
        if (prefillOnly) {
            int headDim = Integer.parseInt(args[1]);
            int[] lengths = args[2].equals("w") ? wStep() : Arrays.stream(args[2].split(","))
                    .mapToInt(Integer::parseInt).toArray();
            try (CudaDevice device = CudaDevice.open(0)) {
                AttentionBenchmark benchmark = new AttentionBenchmark(device);
                long capacity = Arrays.stream(lengths).sum();
                DeviceAllocation keys = device.allocate(capacity * KV_SIZE * 2, "benchmark keys");
                DeviceAllocation values = device.allocate(capacity * KV_SIZE * 2, "benchmark values");
                benchmark.kernels.fillUniform(keys.address(), capacity * KV_SIZE, DType.BF16, 11, -2f, 2f);
                benchmark.kernels.fillUniform(values.address(), capacity * KV_SIZE, DType.BF16, 12, -1f, 1f);
                benchmark.prefill(keys, values, lengths, headDim, args[2], false);
                benchmark.table.forEach(System.out::println);
            }
            return;
        }
        boolean decodeOnly = args.length == 2;
        int batch = decodeOnly ? Integer.parseInt(args[0]) : DECODE_BATCH;
        int[] contexts = decodeOnly ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : DECODE_CONTEXTS;
        try (CudaDevice device = CudaDevice.open(0)) {
            AttentionBenchmark benchmark = new AttentionBenchmark(device);
            double copyBandwidth = benchmark.copyBandwidth();
            long capacity = (long) batch * Arrays.stream(contexts).max().orElseThrow();
            DeviceAllocation keys = device.allocate(capacity * KV_SIZE * 2, "benchmark keys");
            DeviceAllocation values = device.allocate(capacity * KV_SIZE * 2, "benchmark values");
            benchmark.kernels.fillUniform(keys.address(), capacity * KV_SIZE, DType.BF16, 11, -2f, 2f);
            benchmark.kernels.fillUniform(values.address(), capacity * KV_SIZE, DType.BF16, 12, -1f, 1f);
            for (int context : contexts) {
                benchmark.decode(batch, context, keys, values, copyBandwidth);
            }
            if (!decodeOnly) {
                benchmark.prefill(keys, values);
            }
            System.out.println();
            System.out.println("GPU: " + device.name() + ", " + device.multiprocessors() + " SMs, compute capability "
                    + device.computeCapability() / 10 + "." + device.computeCapability() % 10);
            benchmark.table.forEach(System.out::println);
        }
    }

    private double copyBandwidth() {
        long bytes = 1L << 30;
        DeviceAllocation source = device.allocate(bytes, "copy source");
        DeviceAllocation target = device.allocate(bytes, "copy target");
        kernels.fillUniform(source.address(), bytes / 4, DType.F32, 7, -1f, 1f);
        double ms = medianMilliseconds(() -> check(cuMemcpyDtoDAsync(target, source, bytes, device.stream()),
                "cuMemcpyDtoDAsync"));
        double bandwidth = 2.0 * bytes / (ms * 1e-3);
        table.add(String.format("device-to-device copy, 1 GiB          %8.3f ms  %8.1f GB/s (read + write)", ms,
                bandwidth / 1e9));
        device.free(source);
        device.free(target);
        return bandwidth;
    }

    /** Requests of one query token each, context in two extents (second half first) of a per-request region. */
    private void decode(int n, int context, DeviceAllocation keys, DeviceAllocation values, double copyBandwidth) {
        int half = context / 2;
        int[] cuSeqlensQ = new int[n + 1];
        int[] cuExtents = new int[n + 1];
        int[] contextLens = new int[n];
        int[] starts = new int[2 * n];
        int[] lengths = new int[2 * n];
        int[] positions = new int[n];
        int[] slots = new int[n];
        for (int r = 0; r < n; r++) {
            cuSeqlensQ[r + 1] = r + 1;
            cuExtents[r + 1] = 2 * (r + 1);
            contextLens[r] = context;
            starts[2 * r] = r * context + half;
            lengths[2 * r] = half;
            starts[2 * r + 1] = r * context;
            lengths[2 * r + 1] = context - half;
            positions[r] = context - 1;
            slots[r] = r * context + context - half - 1;
        }
        ForwardBatch batch = new ForwardBatch(new int[n], positions, slots, cuSeqlensQ, contextLens, cuExtents, starts,
                lengths, new int[0]);
        double ms = time(batch, new Buffers(keys, values, AttentionVariant.PREFILL),
                new Heads(NUM_HEADS, NUM_KV_HEADS, HEAD_DIM), "decode ctx " + context).ms();
        long bytes = 2L * n * context * KV_SIZE * 2 + (long) n * Q_SIZE * 4 + (long) n * Q_SIZE * 2;
        double bandwidth = bytes / (ms * 1e-3);
        table.add(String.format("decode  bs %d ctx %5d (32q/8kv, d128)  %8.3f ms  %8.1f GB/s  %5.1f%% of copy",
                n, context, ms, bandwidth / 1e9, 100 * bandwidth / copyBandwidth));
    }

    /**
     * Causal prefill of whole texts: one text of 4,096 tokens at d128 (every variant, compared), one of 8,192 at
     * d128 and d64 (S-long's documents on the 8B and 1B shapes), and workload W's first prompts filling a step of
     * 16,384 tokens at d128 and d64 (a scoring step of workload S: texts of 8 to 1,500 tokens).
     */
    private void prefill(DeviceAllocation keys, DeviceAllocation values) {
        prefill(keys, values, new int[] {PREFILL_TOKENS}, HEAD_DIM, "4096 tokens", true);
        prefill(keys, values, new int[] {8192}, HEAD_DIM, "8192 tokens", false);
        prefill(keys, values, new int[] {8192}, 64, "8192 tokens", false);
        int[] step = wStep();
        String name = "W's first " + step.length + " prompts, 16384 tokens";
        prefill(keys, values, step, HEAD_DIM, name, false);
        prefill(keys, values, step, 64, name, false);
    }

    /** Workload W's first prompts filling a step of 16,384 tokens (the last one cut short). */
    private static int[] wStep() {
        List<Integer> lengths = new ArrayList<>();
        int left = 16_384;
        for (int length : Workload.w().inputLengths()) {
            lengths.add(Math.min(length, left));
            left -= lengths.get(lengths.size() - 1);
            if (left == 0) {
                break;
            }
        }
        return lengths.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Texts of {@code lengths} tokens, each a request's whole causal prefill in one extent, 32 query and 8 KV heads
     * of {@code headDim}: 4 · headDim · heads · Σ n(n+1)/2 FLOPs over the time of the engine's prefill variant
     * (and of every variant, compared with the first, where {@code allVariants}).
     */
    private void prefill(DeviceAllocation keys, DeviceAllocation values, int[] lengths, int headDim, String name,
                         boolean allVariants) {
        int texts = lengths.length;
        int n = Arrays.stream(lengths).sum();
        int[] positions = new int[n];
        int[] cuSeqlens = new int[texts + 1];
        int[] cuExtents = new int[texts + 1];
        int[] starts = new int[texts];
        double pairs = 0;
        for (int t = 0; t < texts; t++) {
            for (int j = 0; j < lengths[t]; j++) {
                positions[cuSeqlens[t] + j] = j;
            }
            cuSeqlens[t + 1] = cuSeqlens[t] + lengths[t];
            cuExtents[t + 1] = t + 1;
            starts[t] = cuSeqlens[t];
            pairs += (double) lengths[t] * (lengths[t] + 1) / 2;
        }
        int[] slots = java.util.stream.IntStream.range(0, n).toArray();
        ForwardBatch batch = new ForwardBatch(new int[n], positions, slots, cuSeqlens, lengths.clone(), cuExtents,
                starts, lengths.clone(), new int[0]);
        Heads heads = new Heads(NUM_HEADS, NUM_KV_HEADS, headDim);
        double flops = 4.0 * headDim * NUM_HEADS * pairs;
        Run portable = null;
        for (AttentionVariant variant : new AttentionVariant[] {AttentionVariant.PREFILL_SM90, AttentionVariant.PREFILL}) {
            if (!variant.runsOn(device.computeCapability(), headDim) || (portable != null && !allVariants)) {
                continue;
            }
            Run run = time(batch, new Buffers(keys, values, variant), heads, "prefill " + name + " " + variant);
            table.add(String.format("prefill %s causal (32q/8kv, d%d) %8.3f ms  %8.1f TFLOP/s  %s", name, headDim,
                    run.ms(), flops / (run.ms() * 1e-3) / 1e12, variant));
            if (portable == null) {
                portable = run;
            } else {
                // Same inputs (fixed seeds, same workspace layout): the variants differ only in summation order and
                // where P is rounded to bf16, about 3e-3 relative (CudaAttentionTest's tolerance is 1e-2).
                double difference = relativeDifference(run.out(), portable.out());
                table.add(String.format("prefill %s vs %s: relative difference %.2e", variant,
                        AttentionVariant.PREFILL_SM90, difference));
                if (!(difference <= 1e-2)) {
                    throw new AssertionError("prefill " + variant + " differs from PREFILL_SM90 by " + difference);
                }
            }
        }
    }

    /** Query and KV heads of one case: a layer's attention shape. */
    private record Heads(int numHeads, int numKvHeads, int headDim) {

        int qSize() {
            return numHeads * headDim;
        }

        int kvSize() {
            return numKvHeads * headDim;
        }

        int qkvWidth() {
            return qSize() + 2 * kvSize();
        }
    }

    /** ‖a − b‖ / ‖b‖ over bf16 bit patterns. */
    private static double relativeDifference(short[] a, short[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double x = Float.intBitsToFloat(a[i] << 16);
            double y = Float.intBitsToFloat(b[i] << 16);
            diff += (x - y) * (x - y);
            norm += y * y;
        }
        return Math.sqrt(diff / norm);
    }

    /** A case's median time and the output of its checked run (bf16 bits). */
    private record Run(double ms, short[] out) {
    }

    /** The cache slabs a case reads, and the prefill variant it launches. */
    private record Buffers(DeviceAllocation keys, DeviceAllocation values, AttentionVariant prefill) {
    }

    /** Plans, checks one run into a poisoned output, then times the attention launches of one layer. */
    private Run time(ForwardBatch batch, Buffers buffers, Heads heads, String what) {
        DeviceAllocation keys = buffers.keys();
        DeviceAllocation values = buffers.values();
        device.synchronize("the previous case");
        workspace.reset();
        staging.reset();
        StepMetadata metadata = StepMetadata.upload(batch, staging, workspace);
        AttentionPlan plan = AttentionPlan.of(batch, heads.numHeads() / heads.numKvHeads(), buffers.prefill());
        DeviceSlice[] slices = staging.upload(workspace, plan.decodeWork(), plan.prefillWork(), plan.merges());
        int tokens = batch.numTokens();
        DeviceSlice qkv = workspace.take((long) tokens * heads.qkvWidth() * 4, "qkv");
        kernels.fillUniform(qkv.address(), (long) tokens * heads.qkvWidth(), DType.F32, 13, -2f, 2f);
        DeviceSlice out = workspace.take((long) tokens * heads.qSize() * 2, "out");
        long partialRows = (long) plan.partialRows() * heads.numKvHeads();
        long partialOut = partialRows == 0 ? 0
                : workspace.take(partialRows * heads.headDim() * 4, "partials").address();
        long partialMaxSum = partialRows == 0 ? 0 : workspace.take(partialRows * 2 * 4, "partial sums").address();
        AttentionLaunch launch = new AttentionLaunch(heads.headDim(), heads.numKvHeads(),
                heads.numHeads() / heads.numKvHeads(), (float) (1 / Math.sqrt(heads.headDim()) * 1.4426950408889634),
                qkv.address(), heads.qkvWidth(), keys.address(), values.address(), heads.kvSize(), metadata,
                out.address(), heads.qSize(), partialOut, partialMaxSum, 0);
        Runnable layer = () -> {
            kernels.attention(AttentionVariant.DECODE, launch, slices[0].address(), plan.numDecodeWork());
            kernels.attention(plan.prefillVariant(), launch, slices[1].address(), plan.numPrefillWork());
            kernels.attentionMerge(launch, slices[2].address(), plan.numMerges());
        };
        long outValues = (long) tokens * heads.qSize();
        check(cuMemsetD32Async(out.pointer(), 0x7FC07FC0, outValues / 2, device.stream()), "poisoning the output");
        layer.run();
        short[] host = new short[(int) outValues];
        device.copyToHost(Pointer.to(host), out, outValues * 2);
        long bad = 0;
        for (short bits : host) {
            if ((bits & 0x7F80) == 0x7F80) {
                bad++;
            }
        }
        if (bad > 0) {
            throw new AssertionError(what + ": " + bad + " of " + outValues + " outputs unwritten, NaN or infinite");
        }
        return new Run(medianMilliseconds(layer), host);
    }

    private double medianMilliseconds(Runnable work) {
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        check(cuEventCreate(start, 0), "cuEventCreate");
        check(cuEventCreate(stop, 0), "cuEventCreate");
        long warmupEnd = System.nanoTime() + WARMUP_NANOS;
        while (System.nanoTime() < warmupEnd) {
            work.run();
            device.synchronize("benchmark warm-up");
        }
        float[] times = new float[REPS];
        float[] elapsed = new float[1];
        for (int i = 0; i < REPS; i++) {
            check(cuEventRecord(start, device.stream()), "cuEventRecord");
            work.run();
            check(cuEventRecord(stop, device.stream()), "cuEventRecord");
            check(cuEventSynchronize(stop), "cuEventSynchronize");
            check(cuEventElapsedTime(elapsed, start, stop), "cuEventElapsedTime");
            times[i] = elapsed[0];
        }
        check(cuEventDestroy(start), "cuEventDestroy");
        check(cuEventDestroy(stop), "cuEventDestroy");
        Arrays.sort(times);
        return (times[REPS / 2 - 1] + times[REPS / 2]) / 2.0;
    }
}
