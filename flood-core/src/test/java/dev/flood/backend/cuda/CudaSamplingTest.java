package dev.flood.backend.cuda;

import dev.flood.sampling.RowLogprobs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.FloodException;
import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.PendingOutputs;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepOutputs;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.sampling.Draw;
import dev.flood.sampling.Sampler;
import dev.flood.sampling.SamplingState;
import dev.flood.sampling.TokenConstraint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GPU sampling and log-probabilities against the CPU {@link Sampler} on the same logits (the GPU's, copied to the
 * host): every row's token must be identical (greedy, and seeded temperature / top-k / top-p / min-p draws at
 * various generation steps, a third of the rows with an allowed-token mask, some masks shared between rows),
 * log-probabilities within 1e-9 (both sum exp in double; only the order differs).
 * Logits come from a GEMM (continuous values) or straight from bf16 values (many exact ties, which exercise the
 * tie rules of argmax, top-k and top-p).
 */
@Tag("gpu")
class CudaSamplingTest {

    private static final long SEED = System.nanoTime();
    private static final double LOGPROB_TOLERANCE = 1e-9;
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

    /** float32 logits [rows, vocab] on the GPU: x · Wᵀ (continuous) or rows of bf16 values (ties). */
    private static Tensor logits(int rows, int vocab, boolean withTies) {
        ForwardBatch batch = BackendPair.simpleBatch(rows);
        pair.cuda.beginStep(batch);
        if (withTies) {
            return pair.activation(pair.uniform(rows * vocab, 6f), rows, vocab, batch).cuda();
        }
        Tensor x = pair.randomActivation(rows, 64, 1f, batch).cuda();
        Weight w = pair.matrix(vocab, 64, 1.1f).cuda();
        Tensor out = pair.cuda.allocate(rows, vocab);
        pair.cuda.linear(x, w, null, out);
        return out;
    }

    private static SamplingParams params(int row) {
        SamplingParams.Builder b = SamplingParams.builder().logprobs(row % 21);
        return switch (row % 9) {
            case 0 -> b.build();
            case 1 -> b.temperature(0.8).build();
            case 2 -> b.temperature(1.3).topK(50).build();
            case 3 -> b.temperature(1).topP(0.9).build();
            case 4 -> b.temperature(0.7).minP(0.1).build();
            case 5 -> b.temperature(1.1).topK(1000).topP(0.5).minP(0.02).build();
            case 6 -> b.temperature(0.5).topP(0.97).build();
            case 7 -> b.temperature(2.0).topK(7).build();
            // penalties: not in the GPU kernel, so these rows are sampled on the host inside the same call
            default -> b.temperature(0.9).repetitionPenalty(1.3).presencePenalty(0.5).frequencyPenalty(0.25).build();
        };
    }

    @ParameterizedTest(name = "{0} rows, vocab {1}, ties {2}")
    @CsvSource({"1, 1000, false", "19, 32003, false", "111, 1000, true", "19, 151936, true", "37, 128256, false"})
    void tokensAndLogprobsMatchTheCpuSampler(int rows, int vocab, boolean withTies) {
        Tensor logits = logits(rows, vocab, withTies);
        float[] host = pair.cuda.toHost(logits);
        List<SamplingState> states = new ArrayList<>();
        int[] shared = randomMask(vocab);
        for (int r = 0; r < rows; r++) {
            TokenConstraint constraint = r % 3 != 1 ? null : new FixedMask(r % 2 == 0 ? shared : randomMask(vocab));
            SamplingState state = new SamplingState(params(r), pair.random.nextLong(), vocab, new int[] {1, 2}, constraint);
            for (int step = pair.random.nextInt(40); step > 0; step--) {
                state.accept(pair.random.nextInt(vocab));
            }
            states.add(state);
        }
        Sampler sampler = new Sampler();
        int[] expected = new int[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = sampler.sample(host, r * vocab, states.get(r));
        }
        assertArrayEquals(expected, pair.cuda.sample(logits, states), "sampled tokens (seed " + SEED + ")");

        int topN = 20;
        List<RowLogprobs> gpu = pair.cuda.logprobs(logits, expected, topN);
        for (int r = 0; r < rows; r++) {
            RowLogprobs cpu = Sampler.rowLogprobs(host, r * vocab, vocab, expected[r], topN);
            String where = "row " + r + " (seed " + SEED + ")";
            assertEquals(cpu.chosenLogprob(), gpu.get(r).chosenLogprob(), LOGPROB_TOLERANCE, where);
            assertEquals(Sampler.logSoftmaxAt(host, r * vocab, vocab, expected[r]), gpu.get(r).chosenLogprob(),
                    LOGPROB_TOLERANCE, where);
            assertArrayEquals(cpu.topTokenIds(), gpu.get(r).topTokenIds(), where);
            assertArrayEquals(cpu.topLogprobs(), gpu.get(r).topLogprobs(), LOGPROB_TOLERANCE, where);
        }
    }

    /** A constraint that hands out a fixed mask and accepts anything (the states above advance at random). */
    private record FixedMask(int[] allowedTokens) implements TokenConstraint {
        @Override
        public void accept(int tokenId) {
        }

        @Override
        public boolean isComplete() {
            return false;
        }
    }

    /** Each token allowed with probability 1/4, or (one mask in five) only a handful: narrow and wide masks. */
    private static int[] randomMask(int vocab) {
        int[] mask = new int[(vocab + 31) / 32];
        boolean narrow = pair.random.nextInt(5) == 0;
        for (int i = 0; i < (narrow ? 3 : vocab / 4); i++) {
            int id = pair.random.nextInt(vocab);
            mask[id >>> 5] |= 1 << (id & 31);
        }
        return mask;
    }

    @Test
    void aRowWhoseAllowedTokensAreAllMinusInfinityFailsByName() {
        int vocab = 100;
        ForwardBatch batch = BackendPair.simpleBatch(1);
        pair.cuda.beginStep(batch);
        float[] values = pair.uniform(vocab, 1f);
        values[7] = Float.NEGATIVE_INFINITY;
        Tensor logits = pair.activation(values, 1, vocab, batch).cuda();
        int[] mask = new int[4];
        mask[0] = 1 << 7;
        SamplingState state = new SamplingState(SamplingParams.greedy(4), 1, vocab, new int[] {1}, new FixedMask(mask));
        FloodException e = assertThrows(FloodException.class, () -> pair.cuda.sample(logits, List.of(state)));
        assertEquals("every logit of row 0 is -Infinity (every allowed one, if its output is constrained)", e.getMessage());
    }

    @Test
    void aNaNLogitFailsItsRowByName() {
        int rows = 3;
        int vocab = 100;
        ForwardBatch batch = BackendPair.simpleBatch(rows);
        pair.cuda.beginStep(batch);
        float[] values = pair.uniform(rows * vocab, 1f);
        values[vocab + 17] = Float.NaN;
        Tensor logits = pair.activation(values, rows, vocab, batch).cuda();
        List<SamplingState> states = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            states.add(new SamplingState(SamplingParams.builder().temperature(1).build(), r, vocab, new int[] {1}));
        }
        FloodException e = assertThrows(FloodException.class, () -> pair.cuda.sample(logits, states));
        assertEquals("row 1 of the logits holds a NaN or +Infinity", e.getMessage());
    }

    /**
     * In a step's outputs a NaN row fails alone (the request's own fault, not the step's): sampled on the device,
     * drawn on the host (a repetition penalty) and scored, each other row as the synchronous ops give it.
     */
    @Test
    void aNaNRowFailsAloneInTheStepOutputs() {
        int rows = 4;
        int vocab = 100;
        ForwardBatch batch = BackendPair.simpleBatch(rows);
        pair.cuda.beginStep(batch);
        float[] values = pair.uniform(rows * vocab, 1f);
        values[vocab + 17] = Float.NaN;
        values[3 * vocab + 5] = Float.NaN;
        Tensor logits = pair.activation(values, rows, vocab, batch).cuda();
        float[] host = pair.cuda.toHost(logits);
        float[] hiddenValues = pair.uniform(rows * 16, 1f);
        hiddenValues[16 + 5] = Float.NaN;   // hidden row 1, scored first: every logit of it is NaN
        Tensor hidden = pair.activation(hiddenValues, rows, 16, batch).cuda();
        Weight lmHead = pair.matrix(vocab, 16, 0.2f).cuda();
        // The reference scores the same two rows with row 1 finite: a product of as many rows takes the same
        // cuBLASLt algorithm, so row 2's value must match bit for bit (one of another row count may differ in its
        // last bits at this tiny inner size, 16).
        float[] finiteValues = hiddenValues.clone();
        finiteValues[16 + 5] = 0f;
        Tensor finite = pair.activation(finiteValues, rows, 16, batch).cuda();
        double scoredAlone = pair.cuda.lmHeadLogprobs(finite, lmHead,
                new ScoredRows(new int[] {1, 2}, new int[] {7, 8}, 0)).get(1).chosenLogprob();
        SamplingState device = new SamplingState(SamplingParams.builder().temperature(1).seed(5).build(), 5, vocab,
                new int[] {1});
        SamplingState penalized = new SamplingState(SamplingParams.builder().temperature(0)
                .repetitionPenalty(1.3).build(), 0, vocab, new int[] {1});
        OutputSpec spec = new OutputSpec(new int[] {0, 1, 2, 3}, List.of(Draw.next(device), Draw.next(device),
                Draw.next(penalized), Draw.next(penalized)), new int[] {1, 2}, new int[] {7, 8});
        PendingOutputs pending = pair.cuda.launchOutputs(new StepHead(hidden, lmHead, logits), spec);
        pair.cuda.endStep();
        StepOutputs outputs = pending.await();
        assertEquals("row 1 of the logits holds a NaN or +Infinity", outputs.sampleErrors()[1]);
        // host rows are drawn from a copy of their logits rows alone: row 3 is the second of them
        assertEquals("logit of token 5 (logits[" + (vocab + 5) + "]) is NaN", outputs.sampleErrors()[3]);
        assertEquals("scored row 0 has a NaN or +Infinity logit", outputs.scoreErrors()[0]);
        assertEquals(null, outputs.sampleErrors()[0]);
        assertEquals(null, outputs.sampleErrors()[2]);
        assertEquals(null, outputs.scoreErrors()[1]);
        Sampler sampler = new Sampler();
        assertEquals(sampler.sample(host, 0, device), outputs.tokens()[0]);
        assertEquals(sampler.sample(host, 2 * vocab, penalized), outputs.tokens()[2]);
        assertEquals(scoredAlone, outputs.scores()[1], LOGPROB_TOLERANCE, "hidden row 2 against token 8");
    }
}
