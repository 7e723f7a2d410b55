package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.backend.cuda.BackendPair.Pair;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.sampling.RowLogprobs;
import dev.flood.weights.DType;
import dev.flood.weights.DummyWeights;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Scoring's chunked lm_head, log-softmax and gather on the GPU against the float32 CPU backend, on the same
 * bf16-representable hidden states and lm_head, for 1, 19 and 111 scored rows (picked with repeats, out of
 * order), odd hidden sizes and vocabularies up to Llama 3's 128,256, both hidden-state dtypes, with and without
 * top tokens.
 *
 * <p>Tolerance 1e-4 nats on each log-probability: the logits are exact bf16 products summed in float32 on both
 * sides, in a different order on the tensor cores (about 1e-6 of logits of size about 1 here), and the GPU sums
 * the softmax in float32 (about 1e-6 relative); 1e-4 leaves room for both. Top token ids must match except where
 * two of them are that close.
 */
@Tag("gpu")
class CudaLmHeadLogprobsTest {

    private static final long SEED = System.nanoTime();
    private static final double TOLERANCE = 1e-4;
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

    private static void assertSame(List<RowLogprobs> expected, List<RowLogprobs> actual, double tolerance,
                                   String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int r = 0; r < expected.size(); r++) {
            String where = what + ", row " + r + " (seed " + SEED + ")";
            assertEquals(expected.get(r).chosenLogprob(), actual.get(r).chosenLogprob(), tolerance, where);
            double[] values = expected.get(r).topLogprobs();
            assertArrayEquals(values, actual.get(r).topLogprobs(), tolerance, where);
            int[] ids = expected.get(r).topTokenIds();
            for (int k = 0; k < ids.length; k++) {
                // two tokens may trade places only where their log-probabilities are a near-tie (the logits are
                // summed in another order); the last may trade with the next one down, which is not listed
                boolean nearTie = k == ids.length - 1 || Math.abs(values[k] - values[k + 1]) <= tolerance
                        || (k > 0 && Math.abs(values[k] - values[k - 1]) <= tolerance);
                assertTrue(ids[k] == actual.get(r).topTokenIds()[k] || nearTie, where + ": top token " + k);
            }
        }
    }

    private static ScoredRows randomRows(int numRows, int numTokens, int vocab, int topN) {
        int[] rows = IntStream.range(0, numRows).map(i -> pair.random.nextInt(numTokens)).toArray();
        int[] targets = IntStream.range(0, numRows).map(i -> pair.random.nextInt(vocab)).toArray();
        return new ScoredRows(rows, targets, topN);
    }

    @ParameterizedTest(name = "{0} of {1} tokens, hidden {2}, vocab {3}, top {4}")
    @CsvSource({"1, 1, 64, 1009, 0", "19, 23, 203, 32003, 5", "111, 97, 64, 128256, 0", "111, 111, 203, 1009, 20",
        "19, 19, 64, 128256, 3"})
    void matchesTheCpuBackend(int numRows, int numTokens, int hiddenSize, int vocab, int topN) {
        ForwardBatch batch = BackendPair.simpleBatch(numTokens);
        pair.beginStep(batch);
        Pair<Tensor> hidden = pair.randomActivation(numTokens, hiddenSize, 1f, batch);
        Pair<Weight> lmHead = pair.matrix(vocab, hiddenSize, (float) (1 / Math.sqrt(hiddenSize)));
        ScoredRows rows = randomRows(numRows, numTokens, vocab, topN);
        List<RowLogprobs> cpu = pair.cpu.lmHeadLogprobs(hidden.cpu(), lmHead.cpu(), rows);
        assertSame(cpu, pair.cuda.lmHeadLogprobs(hidden.cuda(), lmHead.cuda(), rows), TOLERANCE, "float32 hidden");
        // chunks of 7 rows: the same numbers (another row count may change the GEMM's summation order)
        assertSame(cpu, pair.cuda.lmHeadLogprobs(hidden.cuda(), lmHead.cuda(), rows, 7L * vocab * Float.BYTES),
                TOLERANCE, "chunks of 7 rows");
    }

    /** The model's path: hidden states in bf16, as the final RMSNorm writes them. */
    @ParameterizedTest
    @CsvSource({"1, 1", "19, 31", "111, 111"})
    void readsBf16HiddenStates(int numRows, int numTokens) {
        int hiddenSize = 203;
        int vocab = 32003;
        ForwardBatch batch = BackendPair.simpleBatch(numTokens);
        pair.beginStep(batch);
        Pair<Tensor> x = pair.randomActivation(numTokens, hiddenSize, 2f, batch);
        Pair<Weight> norm = pair.vector(hiddenSize, 0.5f, 1.5f);
        Tensor normed = pair.cuda.allocate(numTokens, hiddenSize);
        pair.cuda.rmsNorm(x.cuda(), norm.cuda(), 1e-5f, normed);
        assertEquals(DType.BF16, CudaTensor.of(normed).dtype());
        // the same bf16 values, as a float32 activation on the CPU
        Tensor cpuHidden = pair.activation(pair.cuda.toHost(normed), numTokens, hiddenSize, batch).cpu();
        Pair<Weight> lmHead = pair.matrix(vocab, hiddenSize, (float) (1 / Math.sqrt(hiddenSize)));
        ScoredRows rows = randomRows(numRows, numTokens, vocab, 2);
        assertSame(pair.cpu.lmHeadLogprobs(cpuHidden, lmHead.cpu(), rows),
                pair.cuda.lmHeadLogprobs(normed, lmHead.cuda(), rows), TOLERANCE, "bf16 hidden");
    }

    @Test
    void badRowsAndTargetsAreNamed() {
        ForwardBatch batch = BackendPair.simpleBatch(3);
        pair.beginStep(batch);
        Pair<Tensor> hidden = pair.randomActivation(3, 32, 1f, batch);
        Pair<Weight> lmHead = pair.matrix(101, 32, 0.2f);
        IllegalArgumentException target = assertThrows(IllegalArgumentException.class, () -> pair.cuda
                .lmHeadLogprobs(hidden.cuda(), lmHead.cuda(), new ScoredRows(new int[] {0, 2}, new int[] {5, 101}, 0)));
        assertEquals("token id 101 of scored row 1 is outside the vocabulary [0, 101)", target.getMessage());
        IllegalArgumentException row = assertThrows(IllegalArgumentException.class, () -> pair.cuda
                .lmHeadLogprobs(hidden.cuda(), lmHead.cuda(), new ScoredRows(new int[] {3}, new int[] {0}, 0)));
        assertEquals("lmHeadLogprobs: row 3 outside [0, 3)", row.getMessage());
    }

    @Test
    void aNaNLogitFailsByRow() {
        ForwardBatch batch = BackendPair.simpleBatch(3);
        pair.beginStep(batch);
        float[] values = pair.uniform(3 * 16, 1f);
        values[16 + 5] = Float.NaN;   // row 1's hidden state: every logit of row 1 is NaN
        Tensor hidden = pair.activation(values, 3, 16, batch).cuda();
        Weight lmHead = pair.matrix(64, 16, 0.2f).cuda();
        FloodException e = assertThrows(FloodException.class, () -> pair.cuda.lmHeadLogprobs(hidden, lmHead,
                new ScoredRows(new int[] {0, 1, 2}, new int[] {1, 2, 3}, 0)));
        assertEquals("scored row 1 has a NaN or +Infinity logit", e.getMessage());
    }

    /**
     * A 32,768-token step scored in full with the 8B shape's lm_head (hidden 4,096, vocab 128,256): the workspace
     * never holds more than one chunk of logits (all rows' logits would be 16 GiB), every log-probability is
     * finite, and rows scored again in a small call give the same numbers.
     */
    @Test
    void aStepOf32768ScoredRowsHoldsOneChunkOfLogits() throws URISyntaxException {
        ModelConfig shape = ModelConfigReader.read(Path.of(getClass().getResource("/shapes/llama-3.1-8b").toURI()));
        int vocab = shape.vocabSize();
        int hiddenSize = shape.hiddenSize();
        int numRows = 32_768;
        Random random = new Random(SEED);
        int[] ids = IntStream.range(0, numRows).map(i -> random.nextInt(vocab)).toArray();
        int[] positions = IntStream.range(0, numRows).toArray();
        ForwardBatch batch = new ForwardBatch(ids, positions, positions.clone(), new int[] {0, numRows},
                new int[] {numRows}, new int[] {0, 1}, new int[] {0}, new int[] {numRows}, new int[0]);
        try (CudaBackend cuda = CudaBackend.open(0); DummyWeights dummy = new DummyWeights(shape, SEED)) {
            Weight lmHead = cuda.loadMatrix(dummy, List.of("lm_head.weight"), List.of(vocab), hiddenSize);
            Weight embeddings = cuda.loadMatrix(dummy, List.of("model.embed_tokens.weight"), List.of(vocab),
                    hiddenSize);
            cuda.beginStep(batch);
            Tensor hidden = cuda.allocate(numRows, hiddenSize);
            cuda.embed(embeddings, batch, hidden);
            int[] targets = IntStream.range(0, numRows).map(i -> random.nextInt(vocab)).toArray();
            List<RowLogprobs> all = cuda.lmHeadLogprobs(hidden, lmHead,
                    new ScoredRows(IntStream.range(0, numRows).toArray(), targets, 0));
            long bound = (long) numRows * hiddenSize * Float.BYTES + 8L * numRows * Integer.BYTES
                    + LmHeadLogprobs.workspaceBytes(LmHeadLogprobs.DEFAULT_CHUNK_BYTES, hiddenSize, vocab, numRows, 0)
                    + (1L << 20);
            long peak = cuda.memory().workspacePeakBytes();
            System.out.printf("32768 scored rows, vocab %d: workspace peak %.2f GiB, bound %.2f GiB%n", vocab,
                    peak / (double) (1L << 30), bound / (double) (1L << 30));
            assertTrue(peak <= bound, "workspace peak " + peak + " > " + bound);
            for (int r = 0; r < numRows; r++) {
                double lp = all.get(r).chosenLogprob();
                assertTrue(lp <= 0 && Double.isFinite(lp), "row " + r + ": " + lp);
            }
            int[] some = {0, 1, 1045, 1046, 20_000, numRows - 1};
            List<RowLogprobs> again = cuda.lmHeadLogprobs(hidden, lmHead, new ScoredRows(some,
                    IntStream.of(some).map(r -> targets[r]).toArray(), 0));
            for (int i = 0; i < some.length; i++) {
                assertEquals(all.get(some[i]).chosenLogprob(), again.get(i).chosenLogprob(), 1e-5,
                        "row " + some[i] + " (seed " + SEED + ")");
            }
        }
    }
}
