package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.cuda.BackendPair.Pair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Cache writes and segment attention against the CPU reference, many requests of different lengths in one
 * launch: decode (1 query token) at contexts 1, 700 and 2000 (split over 256-token pieces and merged), a short
 * append that stays in one decode tile, prefills of 19 and 111 tokens, an append of 40 tokens after 110, and a
 * 111-token append at context 4400 (the prefill variant's split and merge). Every request's context sits in 1 to
 * 4 extents shuffled over the cache. Head dims 16 to 128 with 1, 2, 4 and 8 query heads per KV head.
 *
 * <p>q, k, v are bf16-representable on both sides, so the cache holds exactly the reference's keys and values.
 * Tolerance 1e-2 relative: the kernel rounds the softmax weights P to bf16 for the tensor-core P·V product and
 * writes bf16 (2^-9 relative each), and sums in another order; about 3e-3 is expected.
 */
@Tag("gpu")
class CudaAttentionTest {

    private static final long SEED = System.nanoTime();
    private static final double TOLERANCE = 1e-2;
    private static final int[] CONTEXT_LENS = {1, 700, 300, 19, 111, 150, 2000, 4400};
    private static final int[] QUERY_LENS = {1, 1, 3, 19, 111, 40, 1, 111};
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

    @ParameterizedTest(name = "{0} heads, {1} kv heads, head dim {2}")
    @CsvSource({"4, 4, 64", "32, 8, 128", "16, 2, 128", "8, 1, 64", "4, 2, 16", "4, 1, 16", "4, 2, 32"})
    void segmentAttentionMatchesReference(int numHeads, int numKvHeads, int headDim) {
        AttentionShape shape = AttentionShape.of(numHeads, numKvHeads, headDim);
        SegmentScenario scenario = SegmentScenario.of(pair.random, CONTEXT_LENS, QUERY_LENS);
        pair.cpu.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        pair.cuda.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        writePrefix(scenario.prefix(), shape);

        ForwardBatch step = scenario.step();
        pair.beginStep(step);
        Pair<Tensor> qkv = pair.randomActivation(step.numTokens(), shape.qkvWidth(), 2f, step);
        pair.cpu.writeCache(0, qkv.cpu(), shape, step);
        pair.cuda.writeCache(0, qkv.cuda(), shape, step);
        Pair<Tensor> out = pair.allocate(step.numTokens(), shape.qSize());
        pair.cpu.attention(0, qkv.cpu(), shape, step, out.cpu());
        pair.cuda.attention(0, qkv.cuda(), shape, step, out.cuda());
        float[] expected = pair.cpu.toHost(out.cpu());
        float[] actual = pair.cuda.toHost(out.cuda());
        double error = BackendPair.relativeError(actual, expected);
        assertTrue(error <= TOLERANCE, "attention " + shape + ": relative error " + error + " (seed " + SEED + ")");
        for (int seq = 0; seq < step.numSeqs(); seq++) {
            double seqError = BackendPair.relativeError(rows(actual, step, seq, shape), rows(expected, step, seq, shape));
            assertTrue(seqError <= TOLERANCE, "attention " + shape + ", request " + seq + " (context "
                    + step.contextLens()[seq] + ", " + step.queryLen(seq) + " query tokens): relative error " + seqError
                    + " (seed " + SEED + ")");
        }
    }

    /** Writes the requests' earlier context tokens to both caches (attention over them is not needed). */
    private static void writePrefix(ForwardBatch prefix, AttentionShape shape) {
        if (prefix == null) {
            return;
        }
        pair.beginStep(prefix);
        Pair<Tensor> qkv = pair.randomActivation(prefix.numTokens(), shape.qkvWidth(), 2f, prefix);
        pair.cpu.writeCache(0, qkv.cpu(), shape, prefix);
        pair.cuda.writeCache(0, qkv.cuda(), shape, prefix);
    }

    private static float[] rows(float[] values, ForwardBatch batch, int seq, AttentionShape shape) {
        return java.util.Arrays.copyOfRange(values, batch.cuSeqlensQ()[seq] * shape.qSize(),
                batch.cuSeqlensQ()[seq + 1] * shape.qSize());
    }
}
