package dev.flood.backend.cuda;

import dev.flood.api.FloodException;
import jcuda.driver.CUresult;

/**
 * Turns the status codes of the CUDA driver and of cuBLAS into exceptions that name the error (for example
 * {@code CUDA_ERROR_ILLEGAL_ADDRESS}) and what was being done. Kernels run asynchronously, so a fault inside one
 * surfaces at the next synchronizing call, which names itself; {@link LaunchChecking#SYNCHRONOUS} names the kernel.
 */
final class CudaErrors {

    private CudaErrors() {
    }

    static void check(int result, String what) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new FloodException("CUDA error " + CUresult.stringFor(result) + " in " + what);
        }
    }

    static void checkBlas(int status, String what) {
        if (status != 0) {
            throw new FloodException("cuBLAS error " + Blas.statusName(status) + " in " + what);
        }
    }
}
