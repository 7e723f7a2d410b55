package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.FloodException;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

/** Driver errors become exceptions that name the CUDA error and the call (no GPU needed). */
class CudaErrorsTest {

    @Test
    void anErrorNamesItselfAndTheCall() {
        FloodException e = assertThrows(FloodException.class,
                () -> CudaErrors.check(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "cuStreamSynchronize after flood_rotary"));
        assertEquals("CUDA error CUDA_ERROR_ILLEGAL_ADDRESS in cuStreamSynchronize after flood_rotary", e.getMessage());
    }

    @Test
    void successPasses() {
        CudaErrors.check(CUresult.CUDA_SUCCESS, "cuInit");
    }
}
