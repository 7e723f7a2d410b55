package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.HeadSpan;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.backend.cuda.BackendPair.Pair;
import dev.flood.config.RopeConfig;
import dev.flood.weights.DType;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each row-wise CUDA op against the float32 CPU backend on fresh random inputs (bf16-representable, identical on
 * both sides), for 1, 19 and 111 tokens. Tolerances (‖out − ref‖ / ‖ref‖):
 * <ul>
 *   <li>0 where the op only moves or widens values (embedding, gather);
 *   <li>1e-5 for float32 outputs computed from float32 inputs in another order (head norm, rotary, the
 *       residual add);
 *   <li>1e-4 for linear: bf16 inputs (exact products) with float32 accumulation on tensor cores, whose adds may
 *       truncate rather than round;
 *   <li>4e-3 for bf16 outputs: rounding to bf16 alone is up to 2^-9 ≈ 2e-3 relative per value.
 * </ul>
 */
@Tag("gpu")
class CudaOpsTest {

    private static final long SEED = System.nanoTime();
    private static final double FLOAT32 = 1e-5;
    private static final double TENSOR_CORE_FLOAT32 = 1e-4;
    private static final double BF16_OUTPUT = 4e-3;
    private static BackendPair pair;

    @BeforeAll
    static void open() {
        pair = new BackendPair(SEED);
    }

    @AfterAll
    static void close() {
        if (pair != null) {
            pair.close();
        }
    }

    private static String context(String op, int numTokens) {
        return op + " with " + numTokens + " tokens (seed " + SEED + ")";
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void embeddingGathersRowsExactly(int numTokens) {
        int vocab = 1009;
        int[] ids = IntStream.range(0, numTokens).map(i -> pair.random.nextInt(vocab)).toArray();
        ForwardBatch batch = new ForwardBatch(ids, new int[numTokens], new int[numTokens], new int[] {0, numTokens},
                new int[] {numTokens}, new int[] {0, 1}, new int[] {0}, new int[] {numTokens}, new int[0]);
        pair.beginStep(batch);
        Pair<Weight> table = pair.matrix(vocab, 203, 1f);
        Pair<Tensor> out = pair.allocate(numTokens, 203);
        pair.cpu.embed(table.cpu(), batch, out.cpu());
        pair.cuda.embed(table.cuda(), batch, out.cuda());
        assertArrayEquals(pair.cpu.toHost(out.cpu()), pair.cuda.toHost(out.cuda()), context("embed", numTokens));
    }

    /**
     * Widths: 1000 and 8200 take the 4-wide path (8200: more than one batch of loads per thread), 777 the scalar
     * one.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void rmsNormMatchesReference(int numTokens) {
        for (int width : new int[] {1000, 777, 8200}) {
            ForwardBatch batch = BackendPair.simpleBatch(numTokens);
            pair.beginStep(batch);
            Pair<Tensor> x = pair.randomActivation(numTokens, width, 3f, batch);
            Pair<Weight> weight = pair.vector(width, 0.5f, 1.5f);
            Pair<Tensor> out = pair.allocate(numTokens, width);
            pair.cpu.rmsNorm(x.cpu(), weight.cpu(), 1e-5f, out.cpu());
            pair.cuda.rmsNorm(x.cuda(), weight.cuda(), 1e-5f, out.cuda());
            double error = pair.relativeError(out);
            assertTrue(error <= BF16_OUTPUT, context("rmsNorm width " + width, numTokens) + ": relative error "
                    + error);
        }
    }

    /** Widths: 777 takes the scalar path, 4096 (Llama-3.1-8B's hidden size) and 8200 the 4-wide path. */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void addRmsNormUpdatesTheResidualAndNormalizes(int numTokens) {
        for (int width : new int[] {777, 4096, 8200}) {
            ForwardBatch batch = BackendPair.simpleBatch(numTokens);
            pair.beginStep(batch);
            Pair<Tensor> residual = pair.randomActivation(numTokens, width, 2f, batch);
            Pair<Tensor> x = pair.randomActivation(numTokens, width, 1f, batch);
            Pair<Weight> weight = pair.vector(width, 0.5f, 1.5f);
            Pair<Tensor> out = pair.allocate(numTokens, width);
            pair.cpu.addRmsNorm(residual.cpu(), x.cpu(), weight.cpu(), 1e-6f, out.cpu());
            pair.cuda.addRmsNorm(residual.cuda(), x.cuda(), weight.cuda(), 1e-6f, out.cuda());
            double residualError = pair.relativeError(residual);
            assertTrue(residualError <= FLOAT32, context("addRmsNorm residual width " + width, numTokens) + ": "
                    + residualError);
            double error = pair.relativeError(out);
            assertTrue(error <= BF16_OUTPUT, context("addRmsNorm width " + width, numTokens) + ": relative error "
                    + error);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void linearWithBiasMatchesReference(int numTokens) {
        ForwardBatch batch = BackendPair.simpleBatch(numTokens);
        pair.beginStep(batch);
        Pair<Tensor> x = pair.randomActivation(numTokens, 333, 1f, batch);
        Pair<Weight> weight = pair.matrix(517, 333, 0.1f);
        Pair<Weight> bias = pair.vector(517, -1f, 1f);
        Pair<Tensor> out = pair.allocate(numTokens, 517);
        pair.cpu.linear(x.cpu(), weight.cpu(), bias.cpu(), out.cpu());
        pair.cuda.linear(x.cuda(), weight.cuda(), bias.cuda(), out.cuda());
        double error = pair.relativeError(out);
        assertTrue(error <= TENSOR_CORE_FLOAT32, context("linear", numTokens) + ": relative error " + error);
        assertEquals(DType.F32, CudaTensor.of(out.cuda()).dtype(), "linear writes float32");
    }

    /**
     * {@code linearAdd} (an output projection added to the residual) against the CPU reference, and bit for bit
     * against the CUDA backend's own {@code linear} then {@code addRmsNorm}: without a bias the GEMM adds in its
     * epilogue, with one the product is staged, and both must form the float32 sums of the separate add. The
     * second shape is Llama-3.2-1B's o projection.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void linearAddMatchesReferenceAndTheSeparateAdd(int numTokens) {
        for (int[] shape : new int[][] {{333, 517}, {2048, 2048}}) {
            for (boolean withBias : new boolean[] {false, true}) {
                int k = shape[0];
                int n = shape[1];
                String what = "linearAdd " + k + " -> " + n + (withBias ? " with a bias" : "");
                ForwardBatch batch = BackendPair.simpleBatch(numTokens);
                pair.beginStep(batch);
                float[] start = pair.uniform(numTokens * n, 2f);
                Pair<Tensor> residual = pair.activation(start, numTokens, n, batch);
                Pair<Tensor> separate = pair.activation(start, numTokens, n, batch);
                Pair<Tensor> x = pair.randomActivation(numTokens, k, 1f, batch);
                Pair<Weight> weight = pair.matrix(n, k, 0.05f);
                Pair<Weight> bias = withBias ? pair.vector(n, -1f, 1f) : new Pair<>(null, null);
                Pair<Tensor> scratch = pair.allocate(numTokens, n);
                pair.cpu.linearAdd(x.cpu(), weight.cpu(), bias.cpu(), scratch.cpu(), residual.cpu());
                pair.cuda.linearAdd(x.cuda(), weight.cuda(), bias.cuda(), scratch.cuda(), residual.cuda());
                double error = pair.relativeError(residual);
                assertTrue(error <= TENSOR_CORE_FLOAT32, context(what, numTokens) + ": relative error " + error);

                Tensor product = pair.cuda.allocate(numTokens, n);
                pair.cuda.linear(x.cuda(), weight.cuda(), bias.cuda(), product);
                Weight norm = pair.vector(n, 0.5f, 1.5f).cuda();
                pair.cuda.addRmsNorm(separate.cuda(), product, norm, 1e-6f, pair.cuda.allocate(numTokens, n));
                assertArrayEquals(pair.cuda.toHost(separate.cuda()), pair.cuda.toHost(residual.cuda()),
                        context(what + ": the same sums as linear then addRmsNorm", numTokens));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void headNormAndRotaryMatchReference(int numTokens) {
        for (int headDim : new int[] {64, 128}) {
            AttentionShape shape = AttentionShape.of(8, 2, headDim);
            int[] positions = IntStream.range(0, numTokens).map(i -> pair.random.nextInt(5000)).toArray();
            int[] ids = IntStream.range(0, numTokens).toArray();
            ForwardBatch batch = new ForwardBatch(ids, positions, ids.clone(), new int[] {0, numTokens},
                    new int[] {numTokens}, new int[] {0, 1}, new int[] {0}, new int[] {numTokens}, new int[0]);
            pair.beginStep(batch);
            Pair<Tensor> qkv = pair.randomActivation(numTokens, shape.qkvWidth(), 2f, batch);
            Pair<Weight> qNorm = pair.vector(headDim, 0.5f, 1.5f);
            HeadSpan queries = new HeadSpan(0, shape.numHeads(), headDim);
            pair.cpu.headRmsNorm(qkv.cpu(), queries, qNorm.cpu(), 1e-6f);
            pair.cuda.headRmsNorm(qkv.cuda(), queries, qNorm.cuda(), 1e-6f);
            double normError = pair.relativeError(qkv);
            assertTrue(normError <= FLOAT32, context("headRmsNorm d" + headDim, numTokens) + ": " + normError);
            RopeConfig rope = headDim == 64 ? RopeConfig.defaultRope(10000)
                    : new RopeConfig("llama3", 500000, 8, 1, 4, 8192);
            RotaryTable table = RotaryTable.of(rope, headDim, 5000, DType.BF16);
            pair.cpu.rotary(qkv.cpu(), shape, table, batch);
            pair.cuda.rotary(qkv.cuda(), shape, table, batch);
            double rotaryError = pair.relativeError(qkv);
            assertTrue(rotaryError <= FLOAT32, context("rotary d" + headDim, numTokens) + ": " + rotaryError);
        }
    }

    /**
     * The gated MLP's gate/up product written in bf16 ({@code linearForActivation}), then {@code siluMul} reading
     * bf16: the product within a bf16 rounding of the float32 reference, the activation within two.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void gateUpInBf16AndSiluMulMatchReference(int numTokens) {
        for (int width : new int[] {301, 1024}) {
            ForwardBatch batch = BackendPair.simpleBatch(numTokens);
            pair.beginStep(batch);
            Pair<Tensor> x = pair.randomActivation(numTokens, 256, 1f, batch);
            Pair<Weight> gateUp = pair.matrix(2 * width, 256, 0.2f);
            Pair<Tensor> product = pair.allocate(numTokens, 2 * width);
            pair.cpu.linearForActivation(x.cpu(), gateUp.cpu(), product.cpu());
            pair.cuda.linearForActivation(x.cuda(), gateUp.cuda(), product.cuda());
            assertEquals(DType.BF16, CudaTensor.of(product.cuda()).dtype(), "the gate/up product is bf16");
            double productError = pair.relativeError(product);
            assertTrue(productError <= BF16_OUTPUT, context("gate/up width " + width, numTokens)
                    + ": relative error " + productError);
            Pair<Tensor> out = pair.allocate(numTokens, width);
            pair.cpu.siluMul(product.cpu(), out.cpu());
            pair.cuda.siluMul(product.cuda(), out.cuda());
            double error = pair.relativeError(out);
            assertTrue(error <= 2 * BF16_OUTPUT, context("siluMul of bf16, width " + width, numTokens)
                    + ": relative error " + error);
        }
    }

    /**
     * Batch invariance ({@link Blas}): each row of a product is bit for bit the same whatever the number of rows
     * beside it, in float32 ({@code linear}) and in bf16 ({@code linearForActivation}), at row counts where cuBLAS
     * chooses different kernels; shapes of the tiny fixtures and of the 1B and 8B models' projections.
     */
    @Test
    void aProductsRowsDoNotDependOnTheRowCount() {
        int[][] shapes = {{128, 64}, {352, 64}, {1024, 64}, {3072, 2048}, {4096, 4096}, {2048, 8192}, {16384, 2048}};
        int[] rowCounts = {1000, 1, 7, 64, 256};
        for (int[] shape : shapes) {
            int outFeatures = shape[0];
            int inFeatures = shape[1];
            float[] values = pair.uniform(rowCounts[0] * inFeatures, 1f);
            Pair<Weight> weight = pair.matrix(outFeatures, inFeatures, 0.05f);
            float[][] all = new float[2][];
            for (int rows : rowCounts) {
                ForwardBatch batch = BackendPair.simpleBatch(rows);
                pair.beginStep(batch);
                Tensor x = pair.activation(Arrays.copyOf(values, rows * inFeatures), rows, inFeatures,
                        batch).cuda();
                for (int bf16 = 0; bf16 < 2; bf16++) {
                    Tensor out = pair.cuda.allocate(rows, outFeatures);
                    if (bf16 == 1) {
                        pair.cuda.linearForActivation(x, weight.cuda(), out);
                    } else {
                        pair.cuda.linear(x, weight.cuda(), null, out);
                    }
                    float[] host = pair.cuda.toHost(out);
                    if (all[bf16] == null) {
                        all[bf16] = host;
                    } else {
                        assertArrayEquals(Arrays.copyOf(all[bf16], host.length), host,
                                "[" + outFeatures + " x " + inFeatures + "] " + (bf16 == 1 ? "bf16" : "float32")
                                        + " product of " + rows + " rows against the same rows among "
                                        + rowCounts[0] + " (seed " + SEED + ")");
                    }
                }
            }
        }
    }

    /** Widths: 301 takes the scalar path, 1024 the 4-wide path. */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void siluMulMatchesReference(int numTokens) {
        for (int width : new int[] {301, 1024}) {
            ForwardBatch batch = BackendPair.simpleBatch(numTokens);
            pair.beginStep(batch);
            Pair<Tensor> gateUp = pair.randomActivation(numTokens, 2 * width, 4f, batch);
            Pair<Tensor> out = pair.allocate(numTokens, width);
            pair.cpu.siluMul(gateUp.cpu(), out.cpu());
            pair.cuda.siluMul(gateUp.cuda(), out.cuda());
            double error = pair.relativeError(out);
            assertTrue(error <= BF16_OUTPUT, context("siluMul width " + width, numTokens) + ": relative error "
                    + error);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void gatherRowsCopiesRowsInOrder(int numTokens) {
        ForwardBatch batch = BackendPair.simpleBatch(numTokens);
        pair.beginStep(batch);
        Pair<Tensor> x = pair.randomActivation(numTokens, 129, 1f, batch);
        int[] rows = IntStream.range(0, 1 + numTokens / 2).map(i -> pair.random.nextInt(numTokens)).toArray();
        float[] expected = pair.cpu.toHost(pair.cpu.gatherRows(x.cpu(), rows));
        assertArrayEquals(expected, pair.cuda.toHost(pair.cuda.gatherRows(x.cuda(), rows)), context("gather", numTokens));
    }

    @Test
    void aTokenOutsideTheVocabularyIsRejectedBeforeAnyKernelRuns() {
        ForwardBatch batch = new ForwardBatch(new int[] {3, 1009}, new int[2], new int[2], new int[] {0, 2},
                new int[] {2}, new int[] {0, 1}, new int[] {0}, new int[] {2}, new int[0]);
        pair.cuda.beginStep(batch);
        Pair<Weight> table = pair.matrix(1009, 16, 1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pair.cuda.embed(table.cuda(), batch, pair.cuda.allocate(2, 16)));
        assertEquals("token id 1009 at row 1 is outside the vocabulary [0, 1009)", e.getMessage());
    }

    @Test
    void anOpThatReadsTheWrongTypeSaysSo() {
        ForwardBatch batch = BackendPair.simpleBatch(3);
        pair.beginStep(batch);
        Pair<Tensor> x = pair.randomActivation(3, 64, 1f, batch);
        Pair<Weight> weight = pair.vector(64, 0.5f, 1.5f);
        Tensor normed = pair.cuda.allocate(3, 64);
        pair.cuda.rmsNorm(x.cuda(), weight.cuda(), 1e-5f, normed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pair.cuda.rmsNorm(normed, weight.cuda(), 1e-5f, pair.cuda.allocate(3, 64)));
        assertEquals("rmsNorm reads a F32 tensor, got BF16 [3, 64]", e.getMessage());
    }
}
