package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.checkBlas;

import dev.flood.weights.DType;
import java.util.Locale;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;

/**
 * What the output type costs a linear layer's GEMM (a benchmark, not a test; the GPU machine): the Llama-3.1-8B
 * projections at 256, 1,024 and 16,384 rows through {@code cublasGemmEx} as {@link Blas#matmul} calls it (bf16 in,
 * float32 accumulation and output), and the same product writing bf16. Prints TFLOP/s of each (timed as the
 * ceiling probe times: {@link CeilingProbe#medianSeconds(CudaDevice, Runnable)}), so that whether bf16 outputs
 * would speed up the GEMM-bound steps (scoring, prefill) is measured, not guessed. Run:
 * {@code java -cp <tests>:<jars> dev.flood.backend.cuda.GemmBenchmark}.
 */
public final class GemmBenchmark {

    /** {name, outFeatures, inFeatures} of the 8B shape's products (hidden 4,096, MLP 14,336, vocabulary 128,256). */
    private static final Object[][] PRODUCTS = {
        {"qkv", 6144, 4096}, {"o", 4096, 4096}, {"gate_up", 28672, 4096}, {"down", 4096, 14336},
        {"lm_head", 128256, 4096}};
    private static final int[] ROWS = {256, 1024, 16384};

    private GemmBenchmark() {
    }

    public static void main(String[] args) {
        try (CudaDevice device = CudaDevice.open(0)) {
            Kernels kernels = new Kernels(device, LaunchChecking.ASYNC);
            cublasContext handle = new cublasContext();
            checkBlas(cublas.cublasCreate_v2(handle), "cublasCreate");
            checkBlas(cublas.cublasSetStream_v2(handle,
                    new CUstream_st(new Blas.Address(device.stream().address()))), "cublasSetStream");
            DeviceAllocation workspace = device.allocate(Blas.WORKSPACE_BYTES, "cuBLAS workspace");
            checkBlas(cublas.cublasSetWorkspace_v2(handle, new Blas.Address(workspace.address()),
                    Blas.WORKSPACE_BYTES), "cublasSetWorkspace");
            long maxIn = 16384L * 14336;
            long maxWeight = 128256L * 4096;
            long maxOut = 16384L * 128256;
            DeviceAllocation x = device.allocate(maxIn * 2, "x");
            DeviceAllocation w = device.allocate(maxWeight * 2, "weight");
            DeviceAllocation out = device.allocate(maxOut * 4, "out");
            kernels.fillUniform(x.address(), maxIn, DType.BF16, 1, -1f, 1f);
            kernels.fillUniform(w.address(), maxWeight, DType.BF16, 2, -0.05f, 0.05f);
            FloatPointer one = new FloatPointer(1f);
            FloatPointer zero = new FloatPointer(0f);
            System.out.println("product   rows   TFLOP/s float32 out   TFLOP/s bf16 out   bf16 / float32");
            for (Object[] product : PRODUCTS) {
                int n = (Integer) product[1];
                int k = (Integer) product[2];
                for (int m : ROWS) {
                    double[] rates = new double[2];
                    for (int variant = 0; variant < 2; variant++) {
                        int outType = variant == 0 ? cudart.CUDA_R_32F : cudart.CUDA_R_16BF;
                        Runnable gemm = () -> checkBlas(cublas.cublasGemmEx(handle, cublas.CUBLAS_OP_T,
                                cublas.CUBLAS_OP_N, n, m, k, one, new Blas.Address(w.address()), cudart.CUDA_R_16BF, k,
                                new Blas.Address(x.address()), cudart.CUDA_R_16BF, k, zero,
                                new Blas.Address(out.address()), outType, n, cublas.CUBLAS_COMPUTE_32F,
                                cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
                        rates[variant] = 2.0 * m * n * k / CeilingProbe.medianSeconds(device, gemm) / 1e12;
                    }
                    System.out.printf(Locale.ROOT, "%-8s %6d   %20.1f   %16.1f   %14.3f%n", product[0], m, rates[0],
                            rates[1], rates[1] / rates[0]);
                }
            }
            checkBlas(cublas.cublasDestroy_v2(handle), "cublasDestroy");
            device.free(x);
            device.free(w);
            device.free(out);
            device.free(workspace);
        }
    }
}
