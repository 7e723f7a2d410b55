package dev.flood.backend.cuda;

import static dev.flood.backend.cuda.CudaErrors.checkBlas;

import dev.flood.api.FloodException;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * cuBLAS 13 through JavaCPP, on the backend's stream and its primary context. Device memory is JCuda's; its raw
 * addresses are wrapped in JavaCPP pointers ({@link Address}) without copying.
 */
final class Blas implements AutoCloseable {

    /** A JavaCPP pointer at a raw device address. */
    static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }

    /**
     * cuBLAS's workspace, set once: 32 MiB is what cuBLAS documents for Hopper's kernels (split-K and stream-K
     * variants need room), and a workspace of our own keeps cuBLAS from allocating during a captured CUDA graph.
     */
    static final long WORKSPACE_BYTES = 32L << 20;

    private final CudaDevice device;
    private final cublasContext handle = new cublasContext();
    private final DeviceAllocation workspace;
    private final FloatPointer one;
    private final FloatPointer zero;

    Blas(CudaDevice device) {
        this.device = device;
        try {
            checkBlas(cublas.cublasCreate_v2(handle), "cublasCreate");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new FloodException("the CUDA backend is unavailable: cuBLAS 13 could not be loaded (" + e.getMessage()
                    + "); are the CUDA 13 libraries (libcublas.so.13) on LD_LIBRARY_PATH?", e);
        }
        checkBlas(cublas.cublasSetStream_v2(handle, new CUstream_st(new Address(device.stream().address()))),
                "cublasSetStream");
        workspace = device.allocate(WORKSPACE_BYTES, "the cuBLAS workspace");
        checkBlas(cublas.cublasSetWorkspace_v2(handle, new Address(workspace.address()), WORKSPACE_BYTES),
                "cublasSetWorkspace");
        one = new FloatPointer(1f);
        zero = new FloatPointer(0f);
    }

    /**
     * {@code out = x · weightᵀ}: x {@code [numTokens, inFeatures]} bf16, weight {@code [outFeatures, inFeatures]}
     * bf16, out {@code [numTokens, outFeatures]} float32, all row-major; float32 accumulation.
     *
     * <p>Row-major matrices are column-major transposes, so this is the column-major product
     * {@code outᵀ [outFeatures, numTokens] = weight (op T) · xᵀ}: m = outFeatures, n = numTokens, k = inFeatures.
     */
    void matmul(long x, long weight, long out, int numTokens, int inFeatures, int outFeatures) {
        checkBlas(cublas.cublasGemmEx(handle, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, outFeatures, numTokens,
                inFeatures, one, new Address(weight), cudart.CUDA_R_16BF, inFeatures, new Address(x),
                cudart.CUDA_R_16BF, inFeatures, zero, new Address(out), cudart.CUDA_R_32F, outFeatures,
                cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx [" + numTokens + " x " + inFeatures + "] x [" + outFeatures + " x " + inFeatures + "]ᵀ");
    }

    static String statusName(int status) {
        BytePointer name = cublas.cublasGetStatusName(status);
        return name == null ? "status " + status : name.getString();
    }

    @Override
    public void close() {
        checkBlas(cublas.cublasDestroy_v2(handle), "cublasDestroy");
        device.free(workspace);
        one.close();
        zero.close();
    }
}
