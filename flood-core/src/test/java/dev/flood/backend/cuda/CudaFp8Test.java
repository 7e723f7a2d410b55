package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineConfig.Quantization;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.testing.Fp8Reference;
import dev.flood.weights.DType;
import dev.flood.weights.Fp8Scaling;
import dev.flood.weights.Fp8Tensor;
import dev.flood.weights.HalfFloats;
import dev.flood.weights.TensorData;
import dev.flood.weights.WeightSource;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import jcuda.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The FP8 path on the GPU (Hopper only; skipped elsewhere) against host references, for 1, 19 and 111 tokens:
 * <ul>
 *   <li>quantization: the kernels' codes and scales equal {@link Fp8Reference}'s bit for bit (each step is one
 *       float32 operation on both sides), per row (4096 columns: the 16-byte path; 777: the scalar one), per
 *       128-column group and per 128 x 128 block, including an all-zero row;
 *   <li>products: per-channel (a bf16 weight of sizes not divisible by 128 quantized at load), 128-block from a bf16
 *       weight quantized at load, and 128-block from a weight stored in FP8, against
 *       float64 products of the same dequantized operands, tolerance 2e-3: the operands are exact, and FP8 tensor
 *       cores keep about 14 bits in their accumulators between cuBLASLt's promotions to float32; and against the
 *       unquantized float64 product, tolerance 6e-2 (about 2.5% RMS rounding on each operand).
 * </ul>
 */
@Tag("gpu")
class CudaFp8Test {

    private static final long SEED = System.nanoTime();
    private static final double EXACT_OPERANDS = 2e-3;
    private static final double QUANTIZED = 6e-2;
    private static BackendPair pair;
    private static CudaBackend fp8;
    private static final Random RANDOM = new Random(SEED);

    @BeforeAll
    static void open() {
        pair = new BackendPair(SEED);
        assumeTrue(Fp8Support.available(pair.cuda.computeCapability()), "not a Hopper GPU: " + pair.cuda.deviceName());
        fp8 = CudaBackend.open(0, new CudaBackend.Options(LaunchChecking.SYNCHRONOUS, PrefillKernel.FASTEST,
                Quantization.FP8, EngineConfig.CudaGraphs.OFF));
    }

    @AfterAll
    static void close() {
        if (fp8 != null) {
            fp8.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    private static float[] bf16Values(int count, float scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16((float) RANDOM.nextGaussian() * scale));
        }
        return values;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void quantizationMatchesTheHostReferenceBitForBit(int rows) {
        try (CudaDevice device = CudaDevice.open(0);
             Kernels kernels = new Kernels(device, LaunchChecking.SYNCHRONOUS)) {
            for (int cols : new int[] {4096, 777, 384}) {
                float[] x = bf16Values(rows * cols, 3f);
                java.util.Arrays.fill(x, 0, cols, 0f);  // an all-zero first row
                short[] bits = new short[x.length];
                for (int i = 0; i < x.length; i++) {
                    bits[i] = HalfFloats.floatToBf16(x[i]);
                }
                DeviceAllocation input = device.allocate(2L * x.length, "x");
                DeviceAllocation codes = device.allocate(x.length, "codes");
                DeviceAllocation scales = device.allocate(4L * rows * Math.max(1, cols / 128), "scales");
                try {
                    device.copyToDevice(input.whole(), Pointer.to(bits), 2L * x.length);
                    kernels.quantizeFp8Rows(input.address(), rows, cols, codes.address(), scales.address());
                    assertQuantized(device, Fp8Reference.rows(x, rows, cols), codes, scales, "rows of " + cols);
                    if (cols % 128 == 0) {
                        kernels.quantizeFp8Groups(input.address(), rows, cols, codes.address(), scales.address());
                        assertQuantized(device, Fp8Reference.groups(x, rows, cols), codes, scales, "groups of " + cols);
                    }
                } finally {
                    device.free(input);
                    device.free(codes);
                    device.free(scales);
                }
            }
        }
    }

    /** A [256, 640] weight in 128 x 128 blocks: 5 column blocks, the scale rows padded to 8. */
    @org.junit.jupiter.api.Test
    void blockQuantizationMatchesTheHostReferenceBitForBit() {
        int rows = 256;
        int cols = 640;
        try (CudaDevice device = CudaDevice.open(0);
             Kernels kernels = new Kernels(device, LaunchChecking.SYNCHRONOUS)) {
            float[] w = bf16Values(rows * cols, 0.05f);
            java.util.Arrays.fill(w, 0, cols, 0f);
            short[] bits = new short[w.length];
            for (int i = 0; i < w.length; i++) {
                bits[i] = HalfFloats.floatToBf16(w[i]);
            }
            DeviceAllocation input = device.allocate(2L * w.length, "w");
            DeviceAllocation codes = device.allocate(w.length, "codes");
            DeviceAllocation scales = device.allocate(4L * 2 * 8, "scales");
            try {
                device.copyToDevice(input.whole(), Pointer.to(bits), 2L * w.length);
                device.zero(scales.whole());
                kernels.quantizeFp8Blocks(input.address(), rows, cols, codes.address(), scales.address(), 8);
                Fp8Reference.Quantized expected = Fp8Reference.blocks(w, rows, cols);
                float[] padded = Fp8Uploader.paddedBlockScales(expected.scales(), rows, cols);
                assertQuantized(device, new Fp8Reference.Quantized(expected.codes(), padded), codes, scales,
                        "128 x 128 blocks");
            } finally {
                device.free(input);
                device.free(codes);
                device.free(scales);
            }
        }
    }

    private static void assertQuantized(CudaDevice device, Fp8Reference.Quantized expected, DeviceAllocation codes,
                                        DeviceAllocation scales, String what) {
        byte[] actualCodes = new byte[expected.codes().length];
        float[] actualScales = new float[expected.scales().length];
        device.copyToHost(Pointer.to(actualCodes), codes.whole(), actualCodes.length);
        device.copyToHost(Pointer.to(actualScales), scales.whole(), 4L * actualScales.length);
        assertArrayEquals(expected.scales(), actualScales, what + " scales (seed " + SEED + ")");
        assertArrayEquals(expected.codes(), actualCodes, what + " codes (seed " + SEED + ")");
    }

    /** A bf16 weight [96, 320] quantized per channel at load, with a bias. */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void perChannelProductMatchesTheReference(int tokens) {
        int n = 96;
        int k = 320;
        float[] w = bf16Values(n * k, 0.05f);
        float[] bias = bf16Values(n, 1f);
        ArrayWeights weights = new ArrayWeights();
        weights.put("w", w, n, k);
        weights.put("b", bias, n);
        Weight weight = fp8.loadLinear(weights, List.of("w"), List.of(n), k);
        assertInstanceOf(Fp8Weight.class, weight);
        assertEquals(Fp8Weight.Layout.PER_CHANNEL, ((Fp8Weight) weight).layout());
        Weight b = fp8.loadVector(weights, List.of("b"), List.of(n));
        float[] x = bf16Values(tokens * k, 1f);
        float[] out = run(x, tokens, k, weight, b, n);
        float[] wq = Fp8Reference.rows(w, n, k).dequantize(i -> i / k);
        float[] xq = Fp8Reference.rows(x, tokens, k).dequantize(i -> i / k);
        check(out, product(xq, wq, bias, tokens, n, k), product(x, w, bias, tokens, n, k),
                "per-channel " + tokens + " tokens");
    }

    /** A bf16 weight [256, 384] quantized at load in 128 x 128 blocks. */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void blockProductOfAWeightQuantizedAtLoadMatchesTheReference(int tokens) {
        int n = 256;
        int k = 384;
        float[] w = bf16Values(n * k, 0.05f);
        ArrayWeights weights = new ArrayWeights();
        weights.put("w", w, n, k);
        Weight weight = fp8.loadLinear(weights, List.of("w"), List.of(n), k);
        assertEquals(Fp8Weight.Layout.BLOCK_128, ((Fp8Weight) weight).layout());
        float[] x = bf16Values(tokens * k, 1f);
        float[] out = run(x, tokens, k, weight, null, n);
        float[] wq = Fp8Reference.blocks(w, n, k).dequantize(i -> (i / k) / 128 * (k / 128) + (i % k) / 128);
        float[] xq = Fp8Reference.groups(x, tokens, k).dequantize(i -> (i % k) / 128 * tokens + i / k);
        check(out, product(xq, wq, null, tokens, n, k), product(x, w, null, tokens, n, k),
                "block (quantized at load) " + tokens + " tokens");
    }

    /** A weight [256, 384] stored in FP8 with 128 x 128 block scales, used as stored. */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void blockProductMatchesTheReference(int tokens) {
        int n = 256;
        int k = 384;
        float[] w = bf16Values(n * k, 0.05f);
        Fp8Reference.Quantized q = Fp8Reference.blocks(w, n, k);
        WeightSource stored = new StoredFp8("w", new Fp8Tensor(new TensorData("w", DType.F8_E4M3, new long[] {n, k},
                ByteBuffer.wrap(q.codes())), q.scales(), Fp8Scaling.BLOCK_128));
        Weight weight = fp8.loadLinear(stored, List.of("w"), List.of(n), k);
        assertEquals(Fp8Weight.Layout.BLOCK_128, ((Fp8Weight) weight).layout());
        float[] x = bf16Values(tokens * k, 1f);
        float[] out = run(x, tokens, k, weight, null, n);
        float[] wq = q.dequantize(i -> (i / k) / 128 * (k / 128) + (i % k) / 128);
        float[] xq = Fp8Reference.groups(x, tokens, k).dequantize(i -> (i % k) / 128 * tokens + i / k);
        check(out, product(xq, wq, null, tokens, n, k), product(x, w, null, tokens, n, k),
                "block " + tokens + " tokens");
    }

    /**
     * {@code linearAdd} with FP8 weights, bit for bit the residual that {@code linear} then {@code addRmsNorm}
     * leave: 128-block weights without a bias (added in the epilogue where cuBLASLt allows it, else staged) and
     * per-channel weights with a bias (staged). cuBLASLt had no block-scaled algorithm for 1, 19 or 111 rows (they
     * run padded, so staged); 256 rows take the epilogue.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111, 256})
    void linearAddFormsTheSumsOfTheSeparateAdd(int tokens) {
        for (boolean blocks : new boolean[] {true, false}) {
            int n = blocks ? 256 : 96;
            int k = blocks ? 384 : 320;
            ArrayWeights weights = new ArrayWeights();
            weights.put("w", bf16Values(n * k, 0.05f), n, k);
            weights.put("b", bf16Values(n, 1f), n);
            weights.put("norm", bf16Values(n, 1f), n);
            Weight weight = fp8.loadLinear(weights, List.of("w"), List.of(n), k);
            assertEquals(blocks ? Fp8Weight.Layout.BLOCK_128 : Fp8Weight.Layout.PER_CHANNEL,
                    ((Fp8Weight) weight).layout());
            Weight bias = blocks ? null : fp8.loadVector(weights, List.of("b"), List.of(n));
            Weight norm = fp8.loadVector(weights, List.of("norm"), List.of(n));
            ForwardBatch batch = BackendPair.simpleBatch(tokens);
            fp8.beginStep(batch);
            float[] start = bf16Values(tokens * n, 2f);
            Tensor residual = embedded(start, tokens, n, batch);
            Tensor separate = embedded(start, tokens, n, batch);
            Tensor x = embedded(bf16Values(tokens * k, 1f), tokens, k, batch);
            fp8.linearAdd(x, weight, bias, fp8.allocate(tokens, n), residual);
            Tensor product = fp8.allocate(tokens, n);
            fp8.linear(x, weight, bias, product);
            fp8.addRmsNorm(separate, product, norm, 1e-6f, fp8.allocate(tokens, n));
            assertArrayEquals(fp8.toHost(separate), fp8.toHost(residual), (blocks ? "block" : "per-channel")
                    + " linearAdd with " + tokens + " tokens (seed " + SEED + ")");
        }
    }

    /** {@code values [rows, cols]} as a float32 activation of the FP8 backend ({@code batch} begun, ids 0..rows-1). */
    private static Tensor embedded(float[] values, int rows, int cols, ForwardBatch batch) {
        ArrayWeights table = new ArrayWeights();
        table.put("x", values.clone(), rows, cols);
        Weight embedding = fp8.loadMatrix(table, List.of("x"), List.of(rows), cols);
        Tensor out = fp8.allocate(rows, cols);
        fp8.embed(embedding, batch, out);
        return out;
    }

    private static float[] run(float[] x, int tokens, int k, Weight weight, Weight bias, int n) {
        ForwardBatch batch = BackendPair.simpleBatch(tokens);
        fp8.beginStep(batch);
        ArrayWeights table = new ArrayWeights();
        table.put("x", x.clone(), tokens, k);
        Weight embedding = fp8.loadMatrix(table, List.of("x"), List.of(tokens), k);
        Tensor input = fp8.allocate(tokens, k);
        fp8.embed(embedding, batch, input);
        Tensor out = fp8.allocate(tokens, n);
        fp8.linear(input, weight, bias, out);
        return fp8.toHost(out);
    }

    private static float[] product(float[] x, float[] w, float[] bias, int tokens, int n, int k) {
        float[] out = new float[tokens * n];
        for (int t = 0; t < tokens; t++) {
            for (int f = 0; f < n; f++) {
                double sum = bias == null ? 0 : bias[f];
                for (int i = 0; i < k; i++) {
                    sum += (double) x[t * k + i] * w[f * k + i];
                }
                out[t * n + f] = (float) sum;
            }
        }
        return out;
    }

    private static void check(float[] actual, float[] exactOperands, float[] unquantized, String what) {
        double exact = BackendPair.relativeError(actual, exactOperands);
        double quantized = BackendPair.relativeError(actual, unquantized);
        System.out.printf("FP8 %s: relative error %.2e vs the same FP8 operands, %.2e vs unquantized%n", what, exact,
                quantized);
        assertTrue(exact <= EXACT_OPERANDS, what + ": " + exact + " vs the same operands (seed " + SEED + ")");
        assertTrue(quantized <= QUANTIZED, what + ": " + quantized + " vs unquantized (seed " + SEED + ")");
    }

    /** One weight stored in FP8. */
    private record StoredFp8(String name, Fp8Tensor tensor) implements WeightSource {

        @Override
        public boolean contains(String n) {
            return n.equals(name);
        }

        @Override
        public float[] loadFloats(String n, long... shape) {
            return tensor.dequantize();
        }

        @Override
        public TensorData loadRaw(String n, long... shape) {
            return tensor.codes();
        }

        @Override
        public Optional<Fp8Tensor> loadFp8(String n, long rows, long cols) {
            return Optional.of(tensor);
        }

        @Override
        public String description() {
            return "one FP8 weight";
        }

        @Override
        public void close() {
        }
    }
}
