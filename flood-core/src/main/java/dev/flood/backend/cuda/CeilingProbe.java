package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.check;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import dev.flood.backend.profile.Ceilings;
import dev.flood.weights.DType;
import java.util.Arrays;

/**
 * Measures the device's two ceilings for roofline floors (METHOD.md: measure them, do not trust datasheets): a
 * 1 GiB device-to-device copy (bytes read plus written per second) and an 8192³ bf16 GEMM through cuBLAS as the
 * backend calls it (bf16 inputs, float32 output and accumulation), and the same product in FP8 through
 * {@link Fp8Linear} where the GPU has FP8 (elsewhere the FP8 ceiling is the bf16 one). Inputs are random (never
 * zeros: a GEMM on zeros runs faster). Each is the median of 10
 * runs after at least 300 ms of warm-up (an idle H200 starts at a low clock). Needs about 2.7 GiB free; run it
 * before the KV cache takes the memory.
 */
final class CeilingProbe {

    private static final long COPY_BYTES = 1L << 30;
    private static final int GEMM_SIZE = 8192;
    private static final long WARMUP_NANOS = 300_000_000L;
    private static final int REPS = 10;

    private final CudaDevice device;
    private final Kernels kernels;
    private final Blas blas;
    private final Fp8Linear fp8;

    CeilingProbe(CudaDevice device, Kernels kernels, Blas blas, Fp8Linear fp8) {
        this.device = device;
        this.kernels = kernels;
        this.blas = blas;
        this.fp8 = fp8;
    }

    Ceilings measure() {
        double copy = copyBytesPerSecond();
        double bf16 = bf16GemmFlopsPerSecond();
        double fp8Rate = fp8.flopsPerSecond(GEMM_SIZE, this::medianSeconds);
        return new Ceilings(copy, bf16, fp8Rate > 0 ? fp8Rate : bf16);
    }

    private double copyBytesPerSecond() {
        DeviceAllocation source = device.allocate(COPY_BYTES, "ceiling probe copy source");
        DeviceAllocation target = device.allocate(COPY_BYTES, "ceiling probe copy target");
        try {
            kernels.fillUniform(source.address(), COPY_BYTES / 4, DType.F32, 7, -1f, 1f);
            double seconds = medianSeconds(() -> check(cuMemcpyDtoDAsync(target, source, COPY_BYTES, device.stream()),
                    "cuMemcpyDtoDAsync"));
            return 2.0 * COPY_BYTES / seconds;
        } finally {
            device.free(source);
            device.free(target);
        }
    }

    private double bf16GemmFlopsPerSecond() {
        long n = GEMM_SIZE;
        DeviceAllocation a = device.allocate(n * n * 2, "ceiling probe GEMM input");
        DeviceAllocation b = device.allocate(n * n * 2, "ceiling probe GEMM weight");
        DeviceAllocation c = device.allocate(n * n * 4, "ceiling probe GEMM output");
        try {
            kernels.fillUniform(a.address(), n * n, DType.BF16, 8, -1f, 1f);
            kernels.fillUniform(b.address(), n * n, DType.BF16, 9, -1f, 1f);
            double seconds = medianSeconds(() -> blas.matmul(a.address(), b.address(), c.address(), GEMM_SIZE,
                    GEMM_SIZE, GEMM_SIZE, DType.F32));
            return 2.0 * n * n * n / seconds;
        } finally {
            device.free(a);
            device.free(b);
            device.free(c);
        }
    }

    /** The median time of {@code work} (queued on the stream), in seconds. */
    double medianSeconds(Runnable work) {
        return medianSeconds(device, work);
    }

    /**
     * The median time of {@code work} (queued on {@code device}'s stream), in seconds: {@value #REPS} runs timed with
     * CUDA events after at least 300 ms of warm-up runs.
     */
    static double medianSeconds(CudaDevice device, Runnable work) {
        try (CudaEventClock clock = new CudaEventClock(device)) {
            long warmupEnd = System.nanoTime() + WARMUP_NANOS;
            while (System.nanoTime() < warmupEnd) {
                work.run();
                device.synchronize("ceiling probe warm-up");
            }
            double[] times = new double[REPS];
            for (int i = 0; i < REPS; i++) {
                clock.reset();
                int start = clock.mark();
                work.run();
                times[i] = clock.millis(start, clock.mark()) / 1e3;
            }
            Arrays.sort(times);
            return (times[REPS / 2 - 1] + times[REPS / 2]) / 2;
        }
    }
}
