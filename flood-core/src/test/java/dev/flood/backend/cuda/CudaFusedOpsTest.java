package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RotaryTable;
import dev.flood.backend.Tensor;
import dev.flood.backend.cuda.BackendPair.Pair;
import dev.flood.config.RopeConfig;
import dev.flood.weights.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's fused launches against the float32 CPU reference running the unfused ops, on fresh random
 * inputs for 1, 19 and 111 tokens. Tolerances (‖out − ref‖ / ‖ref‖): 1e-5 for the rotated float32 heads (same
 * arithmetic, contraction into FMAs may differ); 4e-3 for the bf16 cache (one rounding to bf16, 2^-9 relative).
 */
@Tag("gpu")
class CudaFusedOpsTest {

    private static final long SEED = System.nanoTime();
    private static final double FLOAT32 = 1e-5;
    private static final double BF16_OUTPUT = 4e-3;
    private static final int MAX_POSITIONS = 5000;
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

    /**
     * Rotary fused with the cache write, against rotary then writeCache on the CPU: the rotated queries and keys
     * in qkv, and each token's keys and values at its (shuffled) slot. Head dim 12 takes the kernel's scalar path,
     * the others its 4-wide path; 32/8 heads of dim 128 is Llama-3.1-8B's layer.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void rotaryWriteCacheMatchesRotaryThenWriteCache(int numTokens) {
        int[][] shapes = {{32, 8, 128}, {4, 2, 64}, {4, 1, 16}, {6, 2, 12}};
        for (int[] s : shapes) {
            AttentionShape shape = AttentionShape.of(s[0], s[1], s[2]);
            String what = "rotaryWriteCache " + shape + " with " + numTokens + " tokens (seed " + SEED + ")";
            int capacity = numTokens + 7;
            List<Integer> free = new ArrayList<>(IntStream.range(0, capacity).boxed().toList());
            Collections.shuffle(free, pair.random);
            int[] slots = free.subList(0, numTokens).stream().mapToInt(Integer::intValue).toArray();
            int[] positions = IntStream.range(0, numTokens).map(i -> pair.random.nextInt(MAX_POSITIONS)).toArray();
            int[] ids = IntStream.range(0, numTokens).toArray();
            ForwardBatch batch = new ForwardBatch(ids, positions, slots, new int[] {0, numTokens},
                    new int[] {capacity}, new int[] {0, 1}, new int[] {0}, new int[] {capacity}, new int[0]);
            pair.cpu.allocateCache(1, capacity, shape.kvSize());
            pair.cuda.allocateCache(1, capacity, shape.kvSize());
            pair.beginStep(batch);
            Pair<Tensor> qkv = pair.randomActivation(numTokens, shape.qkvWidth(), 2f, batch);
            RotaryTable table = RotaryTable.of(new RopeConfig("llama3", 500000, 8, 1, 4, 8192), shape.headDim(),
                    MAX_POSITIONS, DType.BF16);
            pair.cpu.rotary(qkv.cpu(), shape, table, batch);
            pair.cpu.writeCache(0, qkv.cpu(), shape, batch);
            pair.cuda.rotaryWriteCache(0, qkv.cuda(), shape, table, batch);

            float[] expected = pair.cpu.toHost(qkv.cpu());
            float[] actual = pair.cuda.toHost(qkv.cuda());
            double rotated = BackendPair.relativeError(actual, expected);
            assertTrue(rotated <= FLOAT32, what + ": rotated qkv relative error " + rotated);

            float[][] cache = pair.cuda.cacheToHost(0);
            int kv = shape.kvSize();
            float[] expectedKeys = new float[numTokens * kv];
            float[] expectedValues = new float[numTokens * kv];
            float[] actualKeys = new float[numTokens * kv];
            float[] actualValues = new float[numTokens * kv];
            for (int t = 0; t < numTokens; t++) {
                int row = t * shape.qkvWidth();
                System.arraycopy(expected, row + shape.kColumn(), expectedKeys, t * kv, kv);
                System.arraycopy(expected, row + shape.vColumn(), expectedValues, t * kv, kv);
                System.arraycopy(cache[0], slots[t] * kv, actualKeys, t * kv, kv);
                System.arraycopy(cache[1], slots[t] * kv, actualValues, t * kv, kv);
            }
            double keys = BackendPair.relativeError(actualKeys, expectedKeys);
            double values = BackendPair.relativeError(actualValues, expectedValues);
            assertTrue(keys <= BF16_OUTPUT, what + ": cached keys relative error " + keys);
            assertTrue(values <= BF16_OUTPUT, what + ": cached values relative error " + values);
        }
    }

    /** A decode step's logits rows are all of them, in order: no copy, the same tensor. */
    @Test
    void gatheringEveryRowInOrderReturnsTheTensorItself() {
        ForwardBatch batch = BackendPair.simpleBatch(19);
        pair.beginStep(batch);
        Pair<Tensor> x = pair.randomActivation(19, 129, 1f, batch);
        int[] all = IntStream.range(0, 19).toArray();
        assertSame(x.cuda(), pair.cuda.gatherRows(x.cuda(), all));
        assertArrayEquals(pair.cpu.toHost(pair.cpu.gatherRows(x.cpu(), all)), pair.cuda.toHost(x.cuda()));
    }
}
