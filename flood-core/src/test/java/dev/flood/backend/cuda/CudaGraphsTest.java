package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig.CudaGraphs;
import dev.flood.api.EngineConfig.Quantization;
import dev.flood.backend.ForwardBatch;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.CausalLM;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Decode steps as CUDA graphs ({@link DecodeGraphs}) against the same steps launched kernel by kernel, on two
 * backends fed the same batches ({@link DecodeStepBatches}): a prefill of {@link #SEQS} requests, then decode
 * steps of the first k requests for each k of {@link #DECODE_ROWS}, whose row counts repeat, and come back to a
 * count seen several steps before. Request 0's context starts at {@link #LONG_PROMPT} tokens and passes 256
 * during the run, where its decode attention is first split in two and merged: the step's graph gains a node and
 * takes a graph of its own.
 *
 * <p>Tolerance: none. Both backends launch the same kernels with the same arguments on identical batches, so the
 * logits must be bit for bit the same; a graph changes when kernels run, not what they compute.
 */
@Tag("gpu")
class CudaGraphsTest {

    static final List<String> MODELS = Fixtures.MODELS;
    private static final int SEQS = 40;
    private static final int SLOTS_PER_SEQ = 300;
    private static final int LONG_PROMPT = 250;
    private static final int[] DECODE_ROWS = {40, 40, 33, 33, 19, 19, 19, 19, 8, 5, 5, 3, 2, 1, 1, 2, 40, 33};
    /** Distinct row counts of {@link #DECODE_ROWS}; the first step of each runs eagerly. */
    private static final int ROW_COUNTS = 8;
    /** Row counts of {@link #DECODE_ROWS} seen again after their first step (so with a graph): 40, 33, 19, 5, 2, 1. */
    private static final int REPEATED_ROW_COUNTS = 6;

    private static CudaBackend open(CudaGraphs graphs) {
        return CudaBackend.open(0, new CudaBackend.Options(LaunchChecking.ASYNC, PrefillKernel.FASTEST,
                Quantization.AUTO, graphs));
    }

    /** One step's logits on the host, the step ended as the engine ends it. */
    private static float[] run(CudaBackend backend, CausalLM lm, ForwardBatch batch) {
        float[] logits = backend.toHost(lm.forward(batch));
        backend.endStep();
        return logits;
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void decodeStepsGiveTheSameLogitsBitForBitAsGraphs(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        try (CudaBackend eager = open(CudaGraphs.OFF);
             CudaBackend graphed = open(CudaGraphs.ON);
             SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            CausalLM eagerLm = CausalLM.load(config, weights, eager);
            CausalLM graphedLm = CausalLM.load(config, weights, graphed);
            for (CudaBackend backend : List.of(eager, graphed)) {
                backend.allocateCache(config.numLayers(), SEQS * SLOTS_PER_SEQ, config.kvSize());
            }
            DecodeStepBatches eagerSteps = new DecodeStepBatches(config.vocabSize(), SEQS, SLOTS_PER_SEQ, LONG_PROMPT);
            DecodeStepBatches graphedSteps = new DecodeStepBatches(config.vocabSize(), SEQS, SLOTS_PER_SEQ,
                    LONG_PROMPT);
            assertArrayEquals(run(eager, eagerLm, eagerSteps.prefill()),
                    run(graphed, graphedLm, graphedSteps.prefill()), name + ": prefill (eager on both)");
            for (int step = 0; step < DECODE_ROWS.length; step++) {
                int rows = DECODE_ROWS[step];
                float[] expected = run(eager, eagerLm, eagerSteps.decode(rows));
                float[] actual = run(graphed, graphedLm, graphedSteps.decode(rows));
                assertEquals(rows * config.vocabSize(), actual.length);
                assertArrayEquals(expected, actual, name + ": decode step " + step + " of " + rows + " rows");
            }
            DecodeGraphs.Stats stats = graphed.graphStats();
            System.out.printf("%s: %s%n", name, stats);
            assertEquals(new DecodeGraphs.Stats(0, 0, 0, 0), eager.graphStats());
            assertEquals(ROW_COUNTS, stats.warmUpSteps(), stats.toString());
            assertEquals(DECODE_ROWS.length - ROW_COUNTS, stats.graphSteps(), stats.toString());
            assertEquals(stats.graphSteps(), stats.instantiated() + stats.updated(), stats.toString());
            // 19 rows at steps 6 and 7 share a graph; the other repeats differ in nodes, as request 0's context
            // passes 256 between them (its attention split gains a merge): 1 update, 9 graphs on the H200
            // (2026-12-03), 4 and 6 on tiny-mistral-sw, whose window never splits
            assertTrue(stats.updated() >= 1, "a repeated shape updates its graph (19 rows at steps 6 and 7): "
                    + stats);
            assertTrue(stats.instantiated() >= REPEATED_ROW_COUNTS, "one graph per repeated row count at least: "
                    + stats);
        }
    }
}
