package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.weights.DType;
import dev.flood.weights.Fp8Scaling;
import dev.flood.weights.Fp8Tensor;
import dev.flood.weights.TensorData;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The host side of the FP8 path, without a GPU: which GPUs run it, and how scales are laid out for cuBLASLt. */
class Fp8HostLogicTest {

    @Test
    void onlyHopperRunsFp8AndOthersAreToldWhy() {
        assertTrue(Fp8Support.available(90));
        assertFalse(Fp8Support.available(80));
        assertFalse(Fp8Support.available(89));
        assertDoesNotThrow(() -> Fp8Support.require(90, "NVIDIA H200"));
        FloodException ampere = assertThrows(FloodException.class, () -> Fp8Support.require(80, "NVIDIA A100"));
        assertEquals("quantization fp8 needs FP8 tensor cores, which NVIDIA A100 (compute capability 8.0) lacks: they"
                + " start with compute capability 8.9; use quantization none (bf16)", ampere.getMessage());
        FloodException ada = assertThrows(FloodException.class, () -> Fp8Support.require(89, "NVIDIA L40S"));
        assertTrue(ada.getMessage().contains("it scales per tensor only"), ada.getMessage());
    }

    @Test
    void blockScalesArePaddedToFourColumnBlocks() {
        // [256, 640]: 2 x 5 blocks, each row of blocks padded to 8.
        float[] scales = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        float[] padded = Fp8Uploader.paddedBlockScales(scales, 256, 640);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 0, 0, 0, 6, 7, 8, 9, 10, 0, 0, 0}, padded);
        assertEquals(8, Fp8Weight.paddedColumnBlocks(640));
        assertEquals(32, Fp8Weight.paddedColumnBlocks(4096), "already a multiple of 4");
        assertEquals(2L * 8, Fp8Weight.scaleCount(256, 640, Fp8Weight.Layout.BLOCK_128));
        assertEquals(256, Fp8Weight.scaleCount(256, 640, Fp8Weight.Layout.PER_CHANNEL));
    }

    @Test
    void aTensorScaleIsRepeatedPerChannel() {
        TensorData codes = new TensorData("w", DType.F8_E4M3, new long[] {3, 2}, ByteBuffer.allocate(6));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f},
                Fp8Uploader.channelScales(new Fp8Tensor(codes, new float[] {0.5f}, Fp8Scaling.PER_TENSOR), 3));
        float[] channel = {1, 2, 3};
        assertArrayEquals(channel,
                Fp8Uploader.channelScales(new Fp8Tensor(codes, channel, Fp8Scaling.PER_CHANNEL), 3));
    }

    @Test
    void blockWeightsMustBeWholeBlocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Fp8Weight(null, null, 128, 200, Fp8Weight.Layout.BLOCK_128));
        assertEquals("128 x 128 block scales need whole blocks, got [128, 200]", e.getMessage());
    }
}
