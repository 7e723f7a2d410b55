package dev.flood.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.EngineConfig;
import dev.flood.api.SamplingParams;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.OutputSpec;
import dev.flood.backend.StepOutputs;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.LayerRange;
import dev.flood.model.ModelSlice;
import dev.flood.sampling.Draw;
import dev.flood.sampling.SamplingState;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline without the engine: micro-batches come back first in first out, a micro-batch that fails on any
 * stage comes back as its failure without touching the others, and a step after a failed one reads token 0 for
 * the rows that deferred to it.
 */
class PipelineTest {

    private record Step(ForwardBatch batch, OutputSpec outputs) implements MicroBatch {
    }

    private ModelConfig config;
    private SafetensorsCheckpoint weights;
    private final List<Pipeline<Step>> opened = new ArrayList<>();

    @BeforeEach
    void load() {
        config = ModelConfigReader.read(Fixtures.model("tiny-llama"));
        weights = SafetensorsCheckpoint.open(Fixtures.model("tiny-llama"));
    }

    @AfterEach
    void close() {
        opened.forEach(Pipeline::close);
        weights.close();
    }

    /** Stages over {@code split}, stage k's cache holding {@code cacheTokens[k]} slots. */
    private Pipeline<Step> pipeline(List<LayerRange> split, int[] cacheTokens, int depth) {
        List<PipelineLoader.LoadedStage> stages = new ArrayList<>();
        for (int k = 0; k < split.size(); k++) {
            CpuBackend backend = new CpuBackend(1);
            stages.add(new PipelineLoader.LoadedStage(backend, ModelSlice.load(config, weights, backend, split.get(k)),
                    "cpu"));
            backend.allocateCache(split.get(k).numLayers(), cacheTokens[k], config.kvSize());
        }
        EngineConfig engineConfig = EngineConfig.builder(Path.of("model")).stepsInFlight(depth).build();
        Pipeline<Step> pipeline = new Pipeline<>(stages, engineConfig, cacheTokens[0]);
        opened.add(pipeline);
        return pipeline;
    }

    /** One request of {@code ids} at positions 0.., slots from {@code firstSlot}, drawing greedily from its last row. */
    private Step prompt(int[] ids, int firstSlot, int[] deferred) {
        int n = ids.length;
        int[] positions = new int[n];
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) {
            positions[i] = i;
            slots[i] = firstSlot + i;
        }
        ForwardBatch batch = new ForwardBatch(ids, positions, slots, new int[] {0, n}, new int[] {n}, new int[] {0, 1},
                new int[] {firstSlot}, new int[] {n}, new int[] {n - 1}, deferred);
        Draw draw = Draw.next(new SamplingState(SamplingParams.greedy(4), 0, config.vocabSize(), new int[] {1}));
        return new Step(batch, new OutputSpec(new int[] {0}, List.of(draw), new int[0], new int[0]));
    }

    private Step prompt(int[] ids, int firstSlot) {
        return prompt(ids, firstSlot, IntStream.range(0, ids.length).map(i -> -1).toArray());
    }

    @Test
    void aMicroBatchThatFailsOnALaterStageFailsAlone() {
        List<LayerRange> split = List.of(new LayerRange(0, 2), new LayerRange(2, 3));
        Step first = prompt(new int[] {1, 40, 41, 42}, 0);
        Step failing = prompt(new int[] {1, 50, 51}, 40);     // slots 40..42: outside stage 1's 32-slot cache
        Step last = prompt(new int[] {1, 60, 61, 62, 63}, 10);
        Pipeline<Step> alone = pipeline(split, new int[] {64, 64}, 1);
        alone.launch(last);
        int[] lastAlone = alone.collect().outputs().tokens();

        Pipeline<Step> pipeline = pipeline(split, new int[] {64, 32}, 3);
        pipeline.launch(first);
        pipeline.launch(failing);
        pipeline.launch(last);
        assertFalse(pipeline.hasRoom());
        Collected<Step> one = pipeline.collect();
        Collected<Step> two = pipeline.collect();
        Collected<Step> three = pipeline.collect();
        assertTrue(pipeline.isEmpty());
        assertEquals(List.of(first, failing, last), List.of(one.microBatch(), two.microBatch(), three.microBatch()),
                "first in, first out");
        assertNull(one.failure());
        assertNotNull(two.failure());
        assertNull(two.outputs());
        assertTrue(two.failure() instanceof IndexOutOfBoundsException, two.failure().toString());
        assertArrayEquals(lastAlone, three.outputs().tokens(), "the step after the failed one is untouched");
        assertEquals(2, pipeline.metrics().size());
    }

    @Test
    void rowsDeferredToAFailedStepReadTokenZeroAndTheStepGoesOn() {
        List<LayerRange> whole = List.of(LayerRange.all(config.numLayers()));
        Pipeline<Step> pipeline = pipeline(whole, new int[] {64}, 2);
        pipeline.launch(prompt(new int[] {1, 40, 41, 42}, 0));
        int drawn = pipeline.collect().outputs().tokens()[0];

        // a step reading the token just drawn, next to one whose slots are outside the cache: it fails
        pipeline.launch(prompt(new int[] {1, 40, 41, 42, 0}, 0, new int[] {-1, -1, -1, -1, 0}));
        StepOutputs readsDrawn = pipeline.collect().outputs();
        pipeline.launch(prompt(new int[] {1, 7}, 100));
        assertNotNull(pipeline.collect().failure());
        pipeline.launch(prompt(new int[] {1, 40, 41, 42, 0}, 0, new int[] {-1, -1, -1, -1, 0}));
        StepOutputs readsZero = pipeline.collect().outputs();

        Pipeline<Step> reference = pipeline(whole, new int[] {64}, 1);
        reference.launch(prompt(new int[] {1, 40, 41, 42, drawn}, 0));
        assertArrayEquals(reference.collect().outputs().tokens(), readsDrawn.tokens(), "the deferred row read " + drawn);
        reference.launch(prompt(new int[] {1, 40, 41, 42, 0}, 0));
        assertArrayEquals(reference.collect().outputs().tokens(), readsZero.tokens());
    }

    @Test
    void launchingIntoAFullPipelineOrCollectingAnEmptyOneIsABug() {
        Pipeline<Step> pipeline = pipeline(List.of(LayerRange.all(config.numLayers())), new int[] {64}, 1);
        assertEquals("no micro-batch is in flight",
                assertThrows(IllegalStateException.class, pipeline::collect).getMessage());
        pipeline.launch(prompt(new int[] {1, 2}, 0));
        assertEquals("the pipeline already has 1 micro-batches in flight", assertThrows(IllegalStateException.class,
                () -> pipeline.launch(prompt(new int[] {1, 2}, 2))).getMessage());
        assertNull(pipeline.collect().failure());
    }
}
