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
 *   <li>prefill attention, one causal request of 4096 tokens, same heads: 4 · headDim · heads · n(n+1)/2 FLOPs
 *       over time, one line per prefill variant that runs on this GPU (PREFILL: mma.sync; PREFILL_SM90: the
 *       persistent warp-specialized wgmma kernel, on compute capability 9.x).
 * </ul>
 * Inputs are random (never zeros); before timing, each case runs once into a NaN-poisoned output that must come
 * back fully written and finite. Median of 20 timed runs after at least 300 ms of warm-up runs. Not a JUnit test.
 *
 * <p>Arguments {@code BATCH CONTEXT[,CONTEXT...]} run decode alone at that batch and those contexts (e.g. under
 * {@code ncu}, or at an engine's 1,024 running requests).
 */
public final class AttentionBenchmark {

    private static final int NUM_HEADS = 32;
    private static final int NUM_KV_HEADS = 8;
    private static final int HEAD_DIM = 128;
    private static final int GROUP = NUM_HEADS / NUM_KV_HEADS;
    private static final int KV_SIZE = NUM_KV_HEADS * HEAD_DIM;
    private static final int QKV_WIDTH = (NUM_HEADS + 2 * NUM_KV_HEADS) * HEAD_DIM;
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
        if (args.length != 0 && args.length != 2) {
            throw new IllegalArgumentException("usage: AttentionBenchmark [BATCH CONTEXT[,CONTEXT...]]");
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
        double ms = time(batch, new Buffers(keys, values, AttentionVariant.PREFILL), "decode ctx " + context).ms();
        long bytes = 2L * n * context * KV_SIZE * 2 + (long) n * Q_SIZE * 4 + (long) n * Q_SIZE * 2;
        double bandwidth = bytes / (ms * 1e-3);
        table.add(String.format("decode  bs %d ctx %5d (32q/8kv, d128)  %8.3f ms  %8.1f GB/s  %5.1f%% of copy",
                n, context, ms, bandwidth / 1e9, 100 * bandwidth / copyBandwidth));
    }

    private void prefill(DeviceAllocation keys, DeviceAllocation values) {
        int n = PREFILL_TOKENS;
        int[] positions = java.util.stream.IntStream.range(0, n).toArray();
        ForwardBatch batch = new ForwardBatch(new int[n], positions, positions.clone(), new int[] {0, n}, new int[] {n},
                new int[] {0, 1}, new int[] {0}, new int[] {n}, new int[0]);
        Run portable = null;
        for (AttentionVariant variant : new AttentionVariant[] {AttentionVariant.PREFILL, AttentionVariant.PREFILL_SM90}) {
            if (!variant.runsOn(device.computeCapability(), HEAD_DIM)) {
                continue;
            }
            Run run = time(batch, new Buffers(keys, values, variant), "prefill " + n + " " + variant);
            double flops = 4.0 * HEAD_DIM * NUM_HEADS * ((double) n * (n + 1) / 2);
            table.add(String.format("prefill %d tokens causal (32q/8kv, d128) %8.3f ms  %8.1f TFLOP/s  %s", n, run.ms(),
                    flops / (run.ms() * 1e-3) / 1e12, variant));
            if (portable == null) {
                portable = run;
            } else {
                // Same inputs (fixed seeds, same workspace layout): the variants differ only in summation order and
                // where P is rounded to bf16, about 3e-3 relative (CudaAttentionTest's tolerance is 1e-2).
                double difference = relativeDifference(run.out(), portable.out());
                table.add(String.format("prefill %s vs PREFILL: relative difference %.2e", variant, difference));
                if (!(difference <= 1e-2)) {
                    throw new AssertionError("prefill " + variant + " differs from PREFILL by " + difference);
                }
            }
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
    private Run time(ForwardBatch batch, Buffers buffers, String what) {
        DeviceAllocation keys = buffers.keys();
        DeviceAllocation values = buffers.values();
        device.synchronize("the previous case");
        workspace.reset();
        staging.reset();
        StepMetadata metadata = StepMetadata.upload(batch, staging, workspace);
        AttentionPlan plan = AttentionPlan.of(batch, GROUP, buffers.prefill());
        DeviceSlice[] slices = staging.upload(workspace, plan.decodeWork(), plan.prefillWork(), plan.merges());
        int tokens = batch.numTokens();
        DeviceSlice qkv = workspace.take((long) tokens * QKV_WIDTH * 4, "qkv");
        kernels.fillUniform(qkv.address(), (long) tokens * QKV_WIDTH, DType.F32, 13, -2f, 2f);
        DeviceSlice out = workspace.take((long) tokens * Q_SIZE * 2, "out");
        long partialRows = (long) plan.partialRows() * NUM_KV_HEADS;
        long partialOut = partialRows == 0 ? 0 : workspace.take(partialRows * HEAD_DIM * 4, "partials").address();
        long partialMaxSum = partialRows == 0 ? 0 : workspace.take(partialRows * 2 * 4, "partial sums").address();
        AttentionLaunch launch = new AttentionLaunch(HEAD_DIM, NUM_KV_HEADS, GROUP,
                (float) (1 / Math.sqrt(HEAD_DIM) * 1.4426950408889634), qkv.address(), QKV_WIDTH, keys.address(),
                values.address(), KV_SIZE, metadata, out.address(), Q_SIZE, partialOut, partialMaxSum, 0);
        Runnable layer = () -> {
            kernels.attention(AttentionVariant.DECODE, launch, slices[0].address(), plan.numDecodeWork());
            kernels.attention(plan.prefillVariant(), launch, slices[1].address(), plan.numPrefillWork());
            kernels.attentionMerge(launch, slices[2].address(), plan.numMerges());
        };
        long outValues = (long) tokens * Q_SIZE;
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
