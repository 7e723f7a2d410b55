package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import dev.flood.backend.OutOfDeviceMemoryException;
import jcuda.driver.CUresult;

/**
 * Turns the status codes of the CUDA driver and of cuBLAS into exceptions that name the error (for example
 * {@code CUDA_ERROR_ILLEGAL_ADDRESS}) and what was being done. Kernels run asynchronously, so a fault inside one
 * surfaces at the next synchronizing call, which names itself; {@link LaunchChecking#SYNCHRONOUS} names the kernel.
 * Running out of device memory is an {@link OutOfDeviceMemoryException}, on which a running engine reopens its
 * backends smaller.
 */
final class CudaErrors {

    private CudaErrors() {
    }

    /** cuBLAS's status when it could not allocate device memory ({@code CUBLAS_STATUS_ALLOC_FAILED}). */
    static final int BLAS_ALLOC_FAILED = 3;

    static void check(int result, String what) {
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new OutOfDeviceMemoryException("CUDA error " + CUresult.stringFor(result) + " in " + what);
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
