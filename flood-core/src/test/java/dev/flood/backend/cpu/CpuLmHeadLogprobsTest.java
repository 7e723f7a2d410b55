package dev.flood.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.backend.ScoredRows;
import dev.flood.sampling.RowLogprobs;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reference backend's {@code lmHeadLogprobs} against a plain double-precision computation written here: the
 * logits as dot products in double, the log-softmax in double, the top tokens by sorting. Inputs fresh random,
 * odd sizes, rows picked with repeats and out of order. Tolerance 1e-5 absolute: the backend's float32 dot
 * products over at most 203 terms of size at most 1 differ from the double ones by about 1e-6.
 */
class CpuLmHeadLogprobsTest {

    private static final long SEED = System.nanoTime();
    private static final double TOLERANCE = 1e-5;
    private static final CpuBackend BACKEND = new CpuBackend(2);

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private static CpuTensor random(Random random, int rows, int cols, float scale) {
        CpuTensor t = new CpuTensor(rows, cols);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = scale * (2 * random.nextFloat() - 1);
        }
        return t;
    }

    /** [rows.length][vocab] log-softmax in double of the chosen rows' logits. */
    private static double[][] plainLogSoftmax(CpuTensor hidden, CpuTensor lmHead, int[] rows) {
        double[][] out = new double[rows.length][lmHead.rows()];
        for (int r = 0; r < rows.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < lmHead.rows(); v++) {
                double dot = 0;
                for (int k = 0; k < hidden.cols(); k++) {
                    dot += (double) hidden.data()[rows[r] * hidden.cols() + k] * lmHead.data()[v * lmHead.cols() + k];
                }
                out[r][v] = dot;
                max = Math.max(max, dot);
            }
            double sum = 0;
            for (double logit : out[r]) {
                sum += Math.exp(logit - max);
            }
            double normalizer = max + Math.log(sum);
            for (int v = 0; v < out[r].length; v++) {
                out[r][v] -= normalizer;
            }
        }
        return out;
    }

    /** The {@code n} largest entries' indices, largest first, ties to the lower index. */
    private static int[] best(double[] values, int n) {
        int[] best = new int[n];
        for (int k = 0; k < n; k++) {
            int pick = -1;
            for (int v = 0; v < values.length; v++) {
                boolean taken = false;
                for (int j = 0; j < k; j++) {
                    taken |= best[j] == v;
                }
                if (!taken && (pick < 0 || values[v] > values[pick])) {
                    pick = v;
                }
            }
            best[k] = pick;
        }
        return best;
    }

    /**
     * The last case has a vocabulary of 200,003: 83 rows fill one 64 MiB chunk of logits, so its 111 rows run as
     * two chunks.
     */
    @ParameterizedTest(name = "{0} of {1} tokens, hidden {2}, vocab {3}, top {4}")
    @CsvSource({"1, 1, 203, 1009, 0", "19, 23, 203, 1009, 5", "111, 97, 64, 1009, 3", "111, 111, 16, 200003, 2"})
    void matchesAPlainDoubleComputation(int numRows, int numTokens, int hiddenSize, int vocab, int topN) {
        Random random = new Random(SEED + numRows + vocab);
        CpuTensor hidden = random(random, numTokens, hiddenSize, 1f);
        CpuTensor lmHead = random(random, vocab, hiddenSize, (float) (1 / Math.sqrt(hiddenSize)));
        int[] rows = IntStream.range(0, numRows).map(i -> random.nextInt(numTokens)).toArray();
        int[] targets = IntStream.range(0, numRows).map(i -> random.nextInt(vocab)).toArray();
        List<RowLogprobs> actual = BACKEND.lmHeadLogprobs(hidden, lmHead, new ScoredRows(rows, targets, topN));
        double[][] expected = plainLogSoftmax(hidden, lmHead, rows);
        assertEquals(numRows, actual.size());
        for (int r = 0; r < numRows; r++) {
            String where = "row " + r + " (seed " + SEED + ")";
            double[] row = expected[r];
            assertEquals(row[targets[r]], actual.get(r).chosenLogprob(), TOLERANCE, where);
            int[] best = best(row, topN);
            assertArrayEquals(best, actual.get(r).topTokenIds(), where);
            assertArrayEquals(Arrays.stream(best).mapToDouble(v -> row[v]).toArray(), actual.get(r).topLogprobs(),
                    TOLERANCE, where);
        }
    }

    @Test
    void noRowsGiveNoResults() {
        Random random = new Random(SEED);
        List<RowLogprobs> none = BACKEND.lmHeadLogprobs(random(random, 3, 8, 1f), random(random, 11, 8, 1f),
                new ScoredRows(new int[0], new int[0], 0));
        assertEquals(List.of(), none);
    }

    @Test
    void aTargetOutsideTheVocabularyIsNamed() {
        Random random = new Random(SEED);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BACKEND.lmHeadLogprobs(
                random(random, 3, 8, 1f), random(random, 11, 8, 1f), new ScoredRows(new int[] {0, 2}, new int[] {3, 11}, 0)));
        assertEquals("token id 11 of scored row 1 is outside the vocabulary [0, 11)", e.getMessage());
        IllegalArgumentException row = assertThrows(IllegalArgumentException.class, () -> BACKEND.lmHeadLogprobs(
                random(random, 3, 8, 1f), random(random, 11, 8, 1f), new ScoredRows(new int[] {3}, new int[] {0}, 0)));
        assertEquals("lmHeadLogprobs: row 3 outside [0, 3)", row.getMessage());
    }
}
