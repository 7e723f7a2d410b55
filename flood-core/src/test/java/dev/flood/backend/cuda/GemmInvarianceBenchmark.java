package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.checkBlas;

import dev.flood.weights.DType;
import java.util.Arrays;
import java.util.Locale;
import jcuda.Pointer;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Whether a product's rows depend on the row count, and what keeping them independent costs (a benchmark, not a
 * test; the GPU machine). For the products of the tiny-llama fixture and the Llama-3.2-1B and Llama-3.1-8B shapes,
 * float32 and bf16 outputs, it runs the first {@code m} rows of one activation matrix for several {@code m} three
 * ways and counts the output values of the first rows (up to 256) that differ bit-wise from the same rows of a
 * 16,384-row product of the same way:
 * <ul>
 *   <li>{@code ex}: {@code cublasGemmEx} with its default algorithm choice (what {@link Blas#matmul} did);
 *   <li>{@code lt}: {@link Blas}, the heuristic's algorithm per row count, without split-K reductions;
 *   <li>{@code fix}: {@link Blas} with the algorithm chosen for 16,384 rows at every row count.
 * </ul>
 * Then TFLOP/s of each at 256, 1,024 and 16,384 rows (medians as the ceiling probe times them). Run:
 * {@code java -cp <tests>:<jars> dev.flood.backend.cuda.GemmInvarianceBenchmark}.
 */
public final class GemmInvarianceBenchmark {

    /** {name, outFeatures, inFeatures, timed}. */
    private static final Object[][] PRODUCTS = {
        {"tiny qkv", 128, 64, false}, {"tiny gate_up", 352, 64, false}, {"tiny down", 64, 176, false},
        {"tiny lm_head", 1024, 64, false},
        {"1B qkv", 3072, 2048, true}, {"1B o", 2048, 2048, true}, {"1B gate_up", 16384, 2048, true},
        {"1B down", 2048, 8192, true}, {"1B lm_head", 128256, 2048, true},
        {"8B qkv", 6144, 4096, true}, {"8B o", 4096, 4096, true}, {"8B gate_up", 28672, 4096, true},
        {"8B down", 4096, 14336, true}, {"8B lm_head", 128256, 4096, true}};
    private static final int FULL = 16384;
    private static final int[] ROWS = {1, 5, 37, 256, 1000, 1024, 4096, FULL};
    private static final int[] TIMED_ROWS = {256, 1024, FULL};
    private static final int COMPARED_ROWS = 256;

    private GemmInvarianceBenchmark() {
    }

    /** The three ways of one product; each writes {@code out} for {@code m} rows. */
    private interface Way {
        void run(int m, long out);
    }

    public static void main(String[] args) {
        try (CudaDevice device = CudaDevice.open(0); Blas lt = new Blas(device)) {
            Kernels kernels = new Kernels(device, LaunchChecking.ASYNC);
            cublasContext handle = new cublasContext();
            checkBlas(cublas.cublasCreate_v2(handle), "cublasCreate");
            checkBlas(cublas.cublasSetStream_v2(handle,
                    new CUstream_st(new Blas.Address(device.stream().address()))), "cublasSetStream");
            DeviceAllocation workspace = device.allocate(Blas.WORKSPACE_BYTES, "cuBLAS workspace");
            checkBlas(cublas.cublasSetWorkspace_v2(handle, new Blas.Address(workspace.address()),
                    Blas.WORKSPACE_BYTES), "cublasSetWorkspace");
            long maxOut = (long) FULL * 128256 * 4;
            DeviceAllocation x = device.allocate((long) FULL * 14336 * 2, "x");
            DeviceAllocation w = device.allocate(128256L * 4096 * 2, "weight");
            DeviceAllocation reference = device.allocate(maxOut, "reference");
            DeviceAllocation out = device.allocate(maxOut, "out");
            kernels.fillUniform(x.address(), (long) FULL * 14336, DType.BF16, 1, -1f, 1f);
            kernels.fillUniform(w.address(), 128256L * 4096, DType.BF16, 2, -0.05f, 0.05f);
            FloatPointer one = new FloatPointer(1f);
            FloatPointer zero = new FloatPointer(0f);
            System.out.println("product        out   rows  differing values of the first rows: ex / lt / fix"
                    + "   TFLOP/s ex / lt / fix   lt's algorithm");
            for (Object[] product : PRODUCTS) {
                int n = (Integer) product[1];
                int k = (Integer) product[2];
                for (DType type : new DType[] {DType.F32, DType.BF16}) {
                    int cudaType = type == DType.F32 ? cudart.CUDA_R_32F : cudart.CUDA_R_16BF;
                    Way ex = (m, o) -> checkBlas(cublas.cublasGemmEx(handle, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N,
                            n, m, k, one, new Blas.Address(w.address()), cudart.CUDA_R_16BF, k,
                            new Blas.Address(x.address()), cudart.CUDA_R_16BF, k, zero, new Blas.Address(o),
                            cudaType, n, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
                    Way perRows = (m, o) -> lt.run(new Blas.Shape(m, n, k, type), x.address(), w.address(), o);
                    Blas.Shape full = new Blas.Shape(FULL, n, k, type);
                    Way fixed = (m, o) -> {
                        if (!lt.runWithAlgorithmOf(full, new Blas.Shape(m, n, k, type), x.address(),
                                w.address(), o)) {
                            throw new IllegalStateException("unsupported");
                        }
                    };
                    Way[] ways = {ex, perRows, fixed};
                    for (int m : ROWS) {
                        String[] differing = new String[3];
                        for (int i = 0; i < 3; i++) {
                            differing[i] = differing(device, ways[i == 2 ? 1 : i], ways[i], m, n, type, reference,
                                    out);
                        }
                        String rates = "";
                        if ((Boolean) product[3] && Arrays.stream(TIMED_ROWS).anyMatch(r -> r == m)) {
                            StringBuilder r = new StringBuilder();
                            for (Way way : ways) {
                                double seconds;
                                try {
                                    seconds = CeilingProbe.medianSeconds(device, () -> way.run(m, out.address()));
                                    r.append(String.format(Locale.ROOT, "%7.1f", 2.0 * m * n * k / seconds / 1e12));
                                } catch (IllegalStateException e) {
                                    r.append("      -");
                                }
                            }
                            rates = r.toString();
                        }
                        System.out.printf(Locale.ROOT, "%-13s %5s %6d  %12s %12s %12s  %21s   %s%n", product[0], type,
                                m, differing[0], differing[1], differing[2], rates,
                                lt.describe(new Blas.Shape(m, n, k, type)));
                    }
                }
            }
            checkBlas(cublas.cublasDestroy_v2(handle), "cublasDestroy");
            for (DeviceAllocation a : new DeviceAllocation[] {x, w, reference, out, workspace}) {
                device.free(a);
            }
        }
    }

    /**
     * Runs {@code referenceWay} at 16,384 rows and {@code way} at {@code m} rows and counts the values of the first
     * rows that differ bit-wise; "-" where {@code way} has no algorithm for {@code m} rows.
     */
    private static String differing(CudaDevice device, Way referenceWay, Way way, int m, int n, DType type,
                                    DeviceAllocation reference, DeviceAllocation out) {
        referenceWay.run(FULL, reference.address());
        try {
            way.run(m, out.address());
        } catch (IllegalStateException e) {
            return "-";
        }
        int rows = Math.min(m, COMPARED_ROWS);
        int size = type == DType.F32 ? 4 : 2;
        long bytes = (long) rows * n * size;
        byte[] expected = new byte[(int) bytes];
        byte[] actual = new byte[(int) bytes];
        device.copyToHost(Pointer.to(expected), new DeviceSlice(reference, 0, bytes), bytes);
        device.copyToHost(Pointer.to(actual), new DeviceSlice(out, 0, bytes), bytes);
        long count = 0;
        for (int i = 0; i < bytes; i += size) {
            boolean same = expected[i] == actual[i] && expected[i + 1] == actual[i + 1]
                    && (size == 2 || (expected[i + 2] == actual[i + 2] && expected[i + 3] == actual[i + 3]));
            if (!same) {
                count++;
            }
        }
        return count + "/" + (bytes / size);
    }
}
