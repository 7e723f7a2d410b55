package dev.flood.backend.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.weights.DType;
import org.junit.jupiter.api.Test;

class OpCostsTest {

    private record Shape(int rows, int cols) implements Tensor {
    }

    private record Matrix(int rows, int cols, DType storageType) implements Weight {
    }

    private static final Ceilings H200 = new Ceilings(4.24e12, 790e12, 1400e12);

    @Test
    void aDecodeGemmOfLlama8bIsBoundByItsArithmeticAt256Rows() {
        // qkv of Llama-3.1-8B at 256 tokens: weight 6144 x 4096 bf16 (50.3 MB), x 2 MB bf16, out 6.3 MB float32.
        OpCost cost = OpCosts.linear(new Shape(256, 4096), new Matrix(6144, 4096, DType.BF16), null);
        assertEquals(6144L * 4096 * 2 + 256L * 4096 * 2 + 256L * 6144 * 4, cost.bytes());
        assertEquals(2.0 * 256 * 6144 * 4096, cost.bf16Flops());
        assertEquals(0, cost.fp8Flops());
        // 12.9 GFLOP at 790 TFLOP/s = 16.3 us; 58.8 MB at 4.24 TB/s = 13.9 us.
        assertEquals(2.0 * 256 * 6144 * 4096 / 790e12, cost.floorSeconds(H200), 1e-12);
        OpCost fp8 = OpCosts.linear(new Shape(256, 4096), new Matrix(6144, 4096, DType.F8_E4M3), null);
        assertEquals(6144L * 4096 + 256L * 4096 * 2 + 256L * 6144 * 4, fp8.bytes(), "one byte per FP8 weight");
        assertEquals(2.0 * 256 * 6144 * 4096, fp8.fp8Flops());
        assertEquals(2.0 * 256 * 6144 * 4096 / 1400e12, fp8.floorSeconds(H200), 1e-12, "FP8 at its own rate");
    }

    @Test
    void theGateUpProductWrittenInBf16HalvesWhatItsReaderReads() {
        // The 8B gate/up at 256 tokens: 28,672 x 4,096 bf16 weight, its product in bf16 for siluMul.
        Shape x = new Shape(256, 4096);
        Matrix gateUp = new Matrix(28672, 4096, DType.BF16);
        OpCost product = OpCosts.linearForActivation(x, gateUp);
        assertEquals(28672L * 4096 * 2 + 256L * 4096 * 2 + 256L * 28672 * 2, product.bytes());
        assertEquals(OpCosts.linear(x, gateUp, null).bf16Flops(), product.bf16Flops());
        Matrix fp8 = new Matrix(28672, 4096, DType.F8_E4M3);
        assertEquals(OpCosts.linear(x, fp8, null), OpCosts.linearForActivation(x, fp8), "FP8 writes float32");
        Shape activated = new Shape(256, 14336);
        assertEquals(256L * 14336 * (2 * 2 + 2), OpCosts.siluMul(activated, true).bytes());
        assertEquals(256L * 14336 * (2 * 4 + 2), OpCosts.siluMul(activated, false).bytes());
    }

    @Test
    void attentionCountsEachContextOnceAndTheCausalPairs() {
        AttentionShape shape = AttentionShape.of(32, 8, 128);
        // A decode of context 100 and a 3-token first chunk.
        ForwardBatch batch = new ForwardBatch(new int[4], new int[] {99, 0, 1, 2}, new int[] {99, 100, 101, 102},
                new int[] {0, 1, 4}, new int[] {100, 3}, new int[] {0, 1, 2}, new int[] {0, 100},
                new int[] {100, 3}, new int[0]);
        OpCost cost = OpCosts.attention(batch, shape);
        long kv = 103L * 2 * 1024 * 2;
        long q = 4L * 4096 * (4 + 2);
        assertEquals(kv + q, cost.bytes());
        double pairs = 100 + (1 + 2 + 3);
        assertEquals(4.0 * 32 * 128 * pairs, cost.bf16Flops());
    }
}
