package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.backend.DeviceLostException;
import dev.flood.backend.OutOfDeviceMemoryException;
import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;

/** Driver errors become exceptions that name the CUDA error and the call (no GPU needed). */
class CudaErrorsTest {

    @Test
    void anErrorNamesItselfAndTheCall() {
        FloodException e = assertThrows(FloodException.class,
                () -> CudaErrors.check(CUresult.CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel flood_rotary"));
        assertEquals("CUDA error CUDA_ERROR_INVALID_VALUE in cuLaunchKernel flood_rotary", e.getMessage());
        assertFalse(e instanceof DeviceLostException);
    }

    @Test
    void aStickyFaultIsALostDeviceThatSaysTheProcessMustRestart() {
        DeviceLostException e = assertThrows(DeviceLostException.class,
                () -> CudaErrors.check(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, "cuStreamSynchronize after flood_rotary"));
        assertTrue(e.getMessage().startsWith(
                "CUDA error CUDA_ERROR_ILLEGAL_ADDRESS in cuStreamSynchronize after flood_rotary (a sticky fault"),
                e.getMessage());
        assertTrue(e.getMessage().contains("restart the process"), e.getMessage());
    }

    @Test
    void runningOutOfMemoryIsItsOwnKind() {
        assertThrows(OutOfDeviceMemoryException.class,
                () -> CudaErrors.check(CUresult.CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc"));
    }

    @Test
    void successPasses() {
        CudaErrors.check(CUresult.CUDA_SUCCESS, "cuInit");
    }
}
