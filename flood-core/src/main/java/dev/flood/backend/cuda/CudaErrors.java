package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.backend.DeviceLostException;
import dev.flood.backend.OutOfDeviceMemoryException;
import java.util.Set;
import jcuda.driver.CUresult;

/**
 * Turns the status codes of the CUDA driver and of cuBLAS into exceptions that name the error (for example
 * {@code CUDA_ERROR_ILLEGAL_ADDRESS}) and what was being done. Kernels run asynchronously, so a fault inside one
 * surfaces at the next synchronizing call, which names itself; {@link LaunchChecking#SYNCHRONOUS} names the kernel.
 * Running out of device memory is an {@link OutOfDeviceMemoryException}, on which a running engine reopens its
 * backends smaller; a sticky fault, after which CUDA refuses every call in the process, is a
 * {@link DeviceLostException}, on which it cannot reopen them.
 */
final class CudaErrors {

    private CudaErrors() {
    }

    /** cuBLAS's status when it could not allocate device memory ({@code CUBLAS_STATUS_ALLOC_FAILED}). */
    static final int BLAS_ALLOC_FAILED = 3;

    /**
     * The driver's sticky errors: the CUDA documentation says the process is left in an inconsistent state and
     * must be restarted to use CUDA again (seen on the H200: after an illegal address, even a reset primary context
     * answers cuDevicePrimaryCtxRetain with the same error).
     */
    private static final Set<Integer> STICKY = Set.of(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
            CUresult.CUDA_ERROR_LAUNCH_FAILED, CUresult.CUDA_ERROR_LAUNCH_TIMEOUT,
            CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR, CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION,
            CUresult.CUDA_ERROR_MISALIGNED_ADDRESS, CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE,
            CUresult.CUDA_ERROR_INVALID_PC, CUresult.CUDA_ERROR_ASSERT, CUresult.CUDA_ERROR_ECC_UNCORRECTABLE);

    static void check(int result, String what) {
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new OutOfDeviceMemoryException("CUDA error " + CUresult.stringFor(result) + " in " + what);
        }
        if (STICKY.contains(result)) {
            throw new DeviceLostException("CUDA error " + CUresult.stringFor(result) + " in " + what
                    + " (a sticky fault: CUDA cannot recover from it in this process; restart the process, or the"
                    + " Spark executor or Flink TaskManager, to use the GPU again)");
        }
        if (result != CUresult.CUDA_SUCCESS) {
            throw new FloodException("CUDA error " + CUresult.stringFor(result) + " in " + what);
        }
    }

    static void checkBlas(int status, String what) {
        if (status == BLAS_ALLOC_FAILED) {
            throw new OutOfDeviceMemoryException("cuBLAS error " + Blas.statusName(status) + " in " + what);
        }
        if (status != 0) {
            throw new FloodException("cuBLAS error " + Blas.statusName(status) + " in " + what);
        }
    }
}
