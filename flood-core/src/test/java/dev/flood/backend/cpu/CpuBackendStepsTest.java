package dev.flood.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Handoff;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.StepHead;
import dev.flood.backend.StepOutputs;
import dev.flood.backend.StepTime;
import dev.flood.backend.Tensor;
import dev.flood.sampling.Draw;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.Sampler;
import dev.flood.sampling.SamplingState;
import dev.flood.weights.WeightSource;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's step lifecycle: outputs drawn at the draws' counters and scores read from the hidden states
 * through the lm_head, the next step's deferred rows reading the drawn tokens, activations handed to another
 * backend as copies, and step times.
 */
class CpuBackendStepsTest {

    private static final int VOCAB = 19;

    /** An embedding table whose row i is filled with i, so an embedded row shows which token it read. */
    private static final WeightSource ROW_NUMBERS = new WeightSource() {
        @Override
        public boolean contains(String name) {
            return true;
        }

        @Override
        public float[] loadFloats(String name, long... shape) {
            float[] values = new float[(int) (shape[0] * shape[1])];
            for (int i = 0; i < values.length; i++) {
                values[i] = i / (int) shape[1];
            }
            return values;
        }

        @Override
        public dev.flood.weights.TensorData loadRaw(String name, long... shape) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String description() {
            return "row numbers";
        }

        @Override
        public void close() {
        }
    };

    private static CpuTensor random(Random random, int rows, int cols) {
        CpuTensor t = new CpuTensor(rows, cols);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = 2 * random.nextFloat() - 1;
        }
        return t;
    }

    private static ForwardBatch batch(int[] ids, int[] deferred) {
        int n = ids.length;
        int[] cu = new int[n + 1];
        int[] extents = new int[n + 1];
        for (int i = 0; i <= n; i++) {
            cu[i] = i;
            extents[i] = i;
        }
        int[] ones = new int[n];
        java.util.Arrays.fill(ones, 1);
        return new ForwardBatch(ids, new int[n], new int[n], cu, ones, extents, new int[n], ones, new int[0], deferred);
    }

    @Test
    void drawsUseTheirCountersAndDeferredRowsReadThem() {
        Random random = new Random(7);
        float[] logits = new float[2 * VOCAB];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = random.nextFloat() * 4;
        }
        SamplingParams seeded = SamplingParams.builder().temperature(1.5).seed(3).logprobs(2).build();
        SamplingState state = new SamplingState(seeded, 3, VOCAB, new int[] {1});
        SamplingState greedy = new SamplingState(SamplingParams.greedy(4), 0, VOCAB, new int[] {1});
        try (CpuBackend cpu = new CpuBackend(2)) {
            var table = cpu.loadMatrix(ROW_NUMBERS, List.of("table"), List.of(VOCAB), 3);
            cpu.beginStep(batch(new int[] {1, 2}, new int[] {-1, -1}));
            Tensor rows = cpu.allocate(2, VOCAB);
            System.arraycopy(logits, 0, ((CpuTensor) rows).data(), 0, logits.length);
            CpuTensor hidden = random(random, 2, 5);
            CpuTensor lmHead = random(random, VOCAB, 5);
            StepOutputs outputs = cpu.launchOutputs(new StepHead(hidden, lmHead, rows), new OutputSpec(
                    new int[] {1, 0}, List.of(new Draw(state, 5), Draw.next(greedy)), new int[] {1, 0},
                    new int[] {4, 7})).await();
            cpu.endStep();
            int expected = new Sampler().sample(logits, VOCAB, new Draw(state, 5), new float[VOCAB]);
            assertEquals(expected, outputs.tokens()[0], "drawn from row 1 at counter 5");
            RowLogprobs reference = Sampler.rowLogprobs(logits, VOCAB, VOCAB, expected, 2);
            assertEquals(reference.chosenLogprob(), outputs.tokenLogprobs()[0].chosenLogprob());
            assertArrayEquals(reference.topTokenIds(), outputs.tokenLogprobs()[0].topTokenIds());
            assertArrayEquals(reference.topLogprobs(), outputs.tokenLogprobs()[0].topLogprobs());
            assertEquals(null, outputs.tokenLogprobs()[1], "greedy asked for none");
            List<RowLogprobs> scored = cpu.lmHeadLogprobs(hidden, lmHead, new ScoredRows(new int[] {1, 0},
                    new int[] {4, 7}, 0));
            assertArrayEquals(new double[] {scored.get(0).chosenLogprob(), scored.get(1).chosenLogprob()},
                    outputs.scores(), "hidden row 1 against token 4, row 0 against token 7, through the lm_head");

            cpu.beginStep(batch(new int[] {9, 0, 0}, new int[] {-1, 1, 0}));
            Tensor embedded = cpu.allocate(3, 3);
            cpu.embed(table, batch(new int[] {9, 0, 0}, new int[] {-1, 1, 0}), embedded);
            float[] values = cpu.toHost(embedded);
            assertArrayEquals(new float[] {9, outputs.tokens()[1], outputs.tokens()[0]},
                    new float[] {values[0], values[3], values[6]}, "row 1 reads sample row 1, row 2 sample row 0");
            cpu.endStep();

            cpu.beginStep(batch(new int[] {0}, new int[] {0}));
            Tensor afterNoDraws = cpu.allocate(1, 3);
            cpu.embed(table, batch(new int[] {0}, new int[] {0}), afterNoDraws);
            assertEquals(0f, cpu.toHost(afterNoDraws)[0], "the previous step drew nothing: token 0");
            cpu.endStep();
            List<StepTime> times = cpu.drainStepTimes();
            assertEquals(3, times.size());
            assertEquals(-1, times.get(0).idleNanos());
            assertTrue(times.get(1).busyNanos() >= 0 && times.get(1).idleNanos() >= 0, times.toString());
        }
    }

    @Test
    void aRowWhoseLogitsCannotBeUsedFailsAloneInTheOutputs() {
        Random random = new Random(11);
        float[] logits = new float[3 * VOCAB];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = random.nextFloat() * 4;
        }
        logits[VOCAB + 17] = Float.NaN;
        CpuTensor hidden = random(random, 3, 4);
        hidden.data()[4 + 2] = Float.NaN;
        CpuTensor lmHead = random(random, VOCAB, 4);
        SamplingState greedy = new SamplingState(SamplingParams.greedy(4), 0, VOCAB, new int[] {1});
        try (CpuBackend cpu = new CpuBackend(2)) {
            cpu.beginStep(batch(new int[] {1, 2, 3}, new int[] {-1, -1, -1}));
            Tensor rows = cpu.allocate(3, VOCAB);
            System.arraycopy(logits, 0, ((CpuTensor) rows).data(), 0, logits.length);
            StepOutputs outputs = cpu.launchOutputs(new StepHead(hidden, lmHead, rows), new OutputSpec(
                    new int[] {0, 1, 2}, List.of(Draw.next(greedy), Draw.next(greedy), Draw.next(greedy)),
                    new int[] {1, 2}, new int[] {4, 5})).await();
            cpu.endStep();
            assertEquals("logit of token 17 (logits[36]) is NaN", outputs.sampleErrors()[1]);
            assertEquals(0, outputs.tokens()[1], "a failed row's placeholder token");
            for (int row : new int[] {0, 2}) {
                assertEquals(null, outputs.sampleErrors()[row]);
                assertEquals(new Sampler().sample(logits, row * VOCAB, Draw.next(greedy), new float[VOCAB]),
                        outputs.tokens()[row], "row " + row);
            }
            assertEquals("logit of token 0 (logits[0]) is NaN", outputs.scoreErrors()[0],
                    "hidden row 1 holds a NaN, so every logit of it is NaN");
            assertEquals(null, outputs.scoreErrors()[1]);
            assertEquals(cpu.lmHeadLogprobs(hidden, lmHead, new ScoredRows(new int[] {2}, new int[] {5}, 0)).get(0)
                    .chosenLogprob(), outputs.scores()[1]);
        }
    }

    @Test
    void drawsNeedLogitsButScoresDoNot() {
        Random random = new Random(11);
        CpuTensor hidden = random(random, 3, 4);
        CpuTensor lmHead = random(random, VOCAB, 4);
        SamplingState greedy = new SamplingState(SamplingParams.greedy(4), 0, VOCAB, new int[] {1});
        try (CpuBackend cpu = new CpuBackend(1)) {
            cpu.beginStep(batch(new int[] {1, 2, 3}, new int[] {-1, -1, -1}));
            StepOutputs scoresOnly = cpu.launchOutputs(new StepHead(hidden, lmHead, null), new OutputSpec(new int[0],
                    List.of(), new int[] {2}, new int[] {18})).await();
            assertEquals(cpu.lmHeadLogprobs(hidden, lmHead, new ScoredRows(new int[] {2}, new int[] {18}, 0)).get(0)
                    .chosenLogprob(), scoresOnly.scores()[0]);
            assertEquals(0, scoresOnly.tokens().length);
            assertEquals("1 draws asked of a step with no logit rows", assertThrows(IllegalStateException.class,
                    () -> cpu.launchOutputs(new StepHead(hidden, lmHead, null), new OutputSpec(new int[] {0},
                            List.of(Draw.next(greedy)), new int[0], new int[0]))).getMessage());
            cpu.endStep();
        }
    }

    @Test
    void aDeferredRowPastThePreviousStepsDrawsIsRejected() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            var table = cpu.loadMatrix(ROW_NUMBERS, List.of("table"), List.of(VOCAB), 3);
            SamplingState greedy = new SamplingState(SamplingParams.greedy(4), 0, VOCAB, new int[] {1});
            cpu.beginStep(batch(new int[] {1}, new int[] {-1}));
            cpu.launchOutputs(new StepHead(cpu.allocate(1, 3), table, cpu.allocate(1, VOCAB)),
                    new OutputSpec(new int[] {0}, List.of(Draw.next(greedy)), new int[0], new int[0]));
            ForwardBatch next = batch(new int[] {0}, new int[] {1});
            cpu.beginStep(next);
            assertEquals("row 0 feeds sample row 1 of the previous step, which drew 1 tokens",
                    assertThrows(IllegalArgumentException.class, () -> cpu.embed(table, next, cpu.allocate(1, 3)))
                            .getMessage());
        }
    }

    @Test
    void handedOffTensorsArriveAsCopies() {
        try (CpuBackend sender = new CpuBackend(1); CpuBackend receiver = new CpuBackend(1)) {
            Tensor residual = sender.allocate(2, 3);
            float[] values = {1, 2, 3, 4, 5, 6};
            System.arraycopy(values, 0, ((CpuTensor) residual).data(), 0, 6);
            Handoff handoff = sender.handOff(List.of(residual));
            List<Tensor> received = receiver.receive(handoff);
            assertEquals(1, received.size());
            assertNotSame(residual, received.get(0));
            assertArrayEquals(values, receiver.toHost(received.get(0)));
            ((CpuTensor) residual).data()[0] = 99;
            assertEquals(1f, receiver.toHost(received.get(0))[0], "the receiver's copy is its own");
        }
    }
}
