package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flood.backend.AttentionShape;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.Tensor;
import dev.flood.backend.cuda.BackendPair.Pair;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Cache writes and segment attention against the CPU reference, many requests of different lengths in one
 * launch: decode (1 query token) at contexts 1, 700 and 2000 (split over 512-token pieces and merged), a short
 * append that stays in one decode tile, prefills of 19, 111 and 333 tokens (333: many causal row tiles and K/V
 * tiles), an append of 40 tokens after 110, and a 111-token append at context 4400 (the prefill variant's split
 * and merge; 32 K/V tiles wrap the three-stage pipeline of the Hopper kernels many times), and a 200-token append
 * at context 4200 (with one query head per KV head, the first 64 rows of its first 128-row tile end before the
 * 4096-token split that the last 64 reach: one Hopper consumer warpgroup has no K/V tile there). Every request's context
 * sits in 1 to 4 extents shuffled over the cache. Head dims 16 to 128 with 1, 2, 4 and 8 query heads per KV head.
 * Prefix caching's layouts too: suffixes computed after a cached prefix extent that several requests list, and the
 * very steps an engine with prefix caching runs, cold and from a warm cache.
 * Each shape runs with each {@link PrefillKernel}: on a Hopper GPU FASTEST is the persistent warp-specialized wgmma
 * kernel (PREFILL_SM90) for head dims 64 and 128 (checked) and MMA_SYNC the portable kernel; elsewhere both are the
 * portable kernel.
 *
 * <p>q, k, v are bf16-representable on both sides, so the cache holds exactly the reference's keys and values.
 * Tolerance 1e-2 relative: the kernel rounds the softmax weights P to bf16 for the tensor-core P·V product and
 * writes bf16 (2^-9 relative each), and sums in another order; about 3e-3 is expected.
 */
@Tag("gpu")
class CudaAttentionTest {

    private static final long SEED = System.nanoTime();
    private static final double TOLERANCE = 1e-2;
    private static final int[] CONTEXT_LENS = {1, 700, 300, 19, 111, 150, 2000, 4400, 333, 4200};
    private static final int[] QUERY_LENS = {1, 1, 3, 19, 111, 40, 1, 111, 333, 200};
    private static final Map<PrefillKernel, BackendPair> PAIRS = new EnumMap<>(PrefillKernel.class);

    @AfterAll
    static void close() {
        PAIRS.values().forEach(BackendPair::close);
    }

    private static BackendPair pair(PrefillKernel kernel) {
        return PAIRS.computeIfAbsent(kernel, k -> new BackendPair(SEED, k));
    }

    @ParameterizedTest(name = "{0}: {1} heads, {2} kv heads, head dim {3}")
    @CsvSource({"FASTEST, 4, 4, 64", "FASTEST, 32, 8, 128", "FASTEST, 8, 8, 128", "FASTEST, 16, 2, 128",
                "FASTEST, 8, 1, 64", "FASTEST, 16, 4, 64", "FASTEST, 4, 2, 16", "FASTEST, 4, 1, 16",
                "FASTEST, 4, 2, 32", "MMA_SYNC, 4, 4, 64", "MMA_SYNC, 32, 8, 128", "MMA_SYNC, 16, 2, 128",
                "MMA_SYNC, 8, 1, 64"})
    void segmentAttentionMatchesReference(PrefillKernel kernel, int numHeads, int numKvHeads, int headDim) {
        matchesReference(pair(kernel), AttentionShape.of(numHeads, numKvHeads, headDim));
    }

    /**
     * The same scenario with a sliding window: 1 (each query sees itself only), 19 (inside one K/V tile), 200 and
     * 1000 (tiles skipped and masked at the window's start, in prefill, append and decode; decode at context 2000
     * and the appends at 4400 and 4200 read only the window, split or not).
     */
    @ParameterizedTest(name = "{0}: {1} heads, {2} kv heads, head dim {3}, window {4}")
    @CsvSource({"FASTEST, 32, 8, 128, 1000", "FASTEST, 8, 1, 64, 200", "FASTEST, 16, 2, 128, 19",
                "FASTEST, 4, 2, 16, 200", "FASTEST, 4, 4, 64, 1", "MMA_SYNC, 32, 8, 128, 1000",
                "MMA_SYNC, 8, 1, 64, 200", "MMA_SYNC, 16, 4, 64, 19"})
    void slidingWindowMatchesReference(PrefillKernel kernel, int numHeads, int numKvHeads, int headDim, int window) {
        matchesReference(pair(kernel), AttentionShape.of(numHeads, numKvHeads, headDim).withSlidingWindow(window));
    }

    /**
     * The decode kernel on what chunked prefill with small step budgets and steps in flight hand it: 48 requests of
     * 1 to 16 / G query tokens (one or two 8-row halves of the kernel's row side) at contexts of 1 to 1200 (splits
     * past 512), each context in 1 to 4 extents.
     */
    @ParameterizedTest(name = "{0} heads, {1} kv heads, head dim {2}")
    @CsvSource({"4, 2, 16", "4, 1, 16", "4, 2, 32", "32, 8, 128", "16, 2, 128", "8, 8, 64", "16, 1, 64"})
    void manyShortAppendsMatchReference(int numHeads, int numKvHeads, int headDim) {
        BackendPair pair = pair(PrefillKernel.FASTEST);
        AttentionShape shape = AttentionShape.of(numHeads, numKvHeads, headDim);
        int maxQuery = Math.max(1, 16 / shape.queriesPerKvHead());
        int[] contexts = new int[48];
        int[] queries = new int[48];
        for (int r = 0; r < contexts.length; r++) {
            contexts[r] = 1 + pair.random.nextInt(r % 3 == 0 ? 1200 : 120);
            queries[r] = 1 + pair.random.nextInt(Math.min(contexts[r], maxQuery));
        }
        SegmentScenario scenario = SegmentScenario.of(pair.random, contexts, queries);
        assertEquals(0, AttentionPlan.of(scenario.step(), shape.queriesPerKvHead(),
                pair.cuda.prefillVariant(headDim)).numPrefillWork(), "every request takes the decode kernel");
        pair.cpu.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        pair.cuda.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        writePrefix(pair, scenario.prefix(), shape);
        assertStepMatches(pair, scenario.step(), shape, "short appends");
    }

    private static void matchesReference(BackendPair pair, AttentionShape shape) {
        SegmentScenario scenario = SegmentScenario.of(pair.random, CONTEXT_LENS, QUERY_LENS);
        pair.cpu.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        pair.cuda.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        writePrefix(pair, scenario.prefix(), shape);
        assertStepMatches(pair, scenario.step(), shape, "mixed step");
    }

    /**
     * Prefix caching's layout: requests whose context starts with a cached prefix extent that several of them list
     * (the same slots, apart from their own) and whose step computes only the suffix: prefixes of 16, 48, 208 and
     * 992 tokens (16-token blocks; 48 and 208 are no multiple of the 32-, 64- or 128-token K/V tiles, and 992 ends
     * inside a 128-token tile), suffixes of 1, 2, 7, 19, 64, 111, 130 and 333 tokens, own slots in one or two
     * extents. Same tolerance as above.
     */
    @ParameterizedTest(name = "{0}: {1} heads, {2} kv heads, head dim {3}, window {4}")
    @CsvSource({"FASTEST, 8, 2, 64, 0", "FASTEST, 16, 4, 128, 0", "FASTEST, 8, 8, 128, 0", "FASTEST, 4, 2, 16, 0",
                "FASTEST, 4, 1, 32, 0", "FASTEST, 16, 2, 128, 200", "FASTEST, 4, 2, 16, 12", "MMA_SYNC, 8, 2, 64, 0",
                "MMA_SYNC, 16, 4, 128, 0", "MMA_SYNC, 8, 1, 64, 200"})
    void suffixAfterAnAttachedPrefixMatchesReference(PrefillKernel kernel, int numHeads, int numKvHeads, int headDim,
                                                     int window) {
        BackendPair pair = pair(kernel);
        AttentionShape shape = AttentionShape.of(numHeads, numKvHeads, headDim).withSlidingWindow(window);
        SegmentScenario scenario = SegmentScenario.attachedPrefix(pair.random,
                new int[] {16, 48, 208, 992, 48, 208, 992, 16}, new int[] {1, 7, 19, 111, 333, 2, 64, 130});
        pair.cpu.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        pair.cuda.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        writePrefix(pair, scenario.prefix(), shape);
        assertStepMatches(pair, scenario.step(), shape, "attached prefix");
    }

    /**
     * The steps a CPU engine with prefix caching ran for CudaPrefixCachingTest's requests ({@link EnginePrefixSteps}:
     * cold, then from a warm cache), replayed in order on both backends with fresh random q, k, v per step: each
     * step writes its tokens' keys and values to the slots the engine gave them and attends over the extents the
     * engine listed, so every cached prefix is read where an earlier step of another request wrote it. Head dim 16
     * (the fixtures') and the Hopper kernel's 64 and 128. Same tolerance as above.
     */
    @ParameterizedTest(name = "{0}: {1} heads, {2} kv heads, head dim {3}")
    @CsvSource({"FASTEST, 4, 2, 16", "FASTEST, 8, 2, 64", "FASTEST, 16, 4, 128", "MMA_SYNC, 16, 4, 128"})
    void theEnginesPrefixCachingStepsMatchReference(PrefillKernel kernel, int numHeads, int numKvHeads,
                                                    int headDim) {
        BackendPair pair = pair(kernel);
        AttentionShape shape = AttentionShape.of(numHeads, numKvHeads, headDim);
        pair.cpu.allocateCache(1, EnginePrefixSteps.CACHE_TOKENS, shape.kvSize());
        pair.cuda.allocateCache(1, EnginePrefixSteps.CACHE_TOKENS, shape.kvSize());
        List<ForwardBatch> steps = EnginePrefixSteps.run().batches();
        for (int s = 0; s < steps.size(); s++) {
            assertStepMatches(pair, EnginePrefixSteps.withRowIds(steps.get(s)), shape, "engine step " + s + " of "
                    + steps.size());
        }
    }

    /**
     * One step on both backends: fresh q, k, v, the cache write, attention; the whole step and each request within
     * the tolerance.
     */
    private static void assertStepMatches(BackendPair pair, ForwardBatch step, AttentionShape shape, String what) {
        AttentionVariant variant = pair.cuda.prefillVariant(shape.headDim());
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
        assertTrue(error <= TOLERANCE, what + ": attention " + shape + ", " + variant + ": relative error " + error
                + " (seed " + SEED + ")");
        for (int seq = 0; seq < step.numSeqs(); seq++) {
            double seqError = BackendPair.relativeError(rows(actual, step, seq, shape), rows(expected, step, seq, shape));
            int numExtents = step.cuExtents()[seq + 1] - step.cuExtents()[seq];
            assertTrue(seqError <= TOLERANCE, what + ": attention " + shape + ", " + variant + ", request " + seq
                    + " (context " + step.contextLens()[seq] + ", " + step.queryLen(seq) + " query tokens, "
                    + numExtents + " extents): relative error " + seqError + " (seed " + SEED + ")");
        }
    }

    @Test
    void hopperRunsTheWgmmaKernelForHeadDims64And128() {
        BackendPair pair = pair(PrefillKernel.FASTEST);
        assumeTrue(pair.cuda.computeCapability() / 10 == 9, "not a Hopper GPU: " + pair.cuda.deviceName());
        assertEquals(AttentionVariant.PREFILL_SM90, pair.cuda.prefillVariant(128));
        assertEquals(AttentionVariant.PREFILL_SM90, pair.cuda.prefillVariant(64));
        assertEquals(AttentionVariant.PREFILL, pair.cuda.prefillVariant(32));
        assertEquals(AttentionVariant.PREFILL, pair(PrefillKernel.MMA_SYNC).cuda.prefillVariant(128));
    }

    /**
     * The persistent kernel (FASTEST on Hopper) with more than two work items per block, so every block loops over
     * several items and its barrier phases, stage indices and consumer turns carry across them: causal prefills of
     * 600, 521 and 447 tokens after contexts 0, 0 and 90, and two decodes, at 32 query / 8 KV heads, head dim 128
     * (19 + 17 + 14 tiles of 128 packed rows, x 8 KV heads = 400 items). Same tolerance as above.
     */
    @Test
    void persistentKernelLoopsOverMoreItemsThanBlocks() {
        BackendPair pair = pair(PrefillKernel.FASTEST);
        AttentionShape shape = AttentionShape.of(32, 8, 128);
        SegmentScenario scenario = SegmentScenario.of(pair.random, new int[] {600, 1, 521, 537, 90},
                new int[] {600, 1, 521, 447, 1});
        ForwardBatch step = scenario.step();
        AttentionVariant variant = pair.cuda.prefillVariant(shape.headDim());
        int items = AttentionPlan.of(step, shape.queriesPerKvHead(), variant).numPrefillWork() * shape.numKvHeads();
        if (variant.persistent()) {
            assertTrue(items > 2 * pair.cuda.multiprocessors(), items + " items for " + pair.cuda.multiprocessors()
                    + " blocks");
        }
        pair.cpu.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        pair.cuda.allocateCache(1, scenario.capacityTokens(), shape.kvSize());
        writePrefix(pair, scenario.prefix(), shape);
        assertStepMatches(pair, step, shape, items + " items");
    }

    /**
     * Every layer of a step attends with the same plan, and they share its split partials: a step of four layers
     * over the scenario above (decode at context 2000 and appends at 4400 and 4200 split and merge) takes no more
     * workspace than the same step attending in one layer, and each layer's output matches the reference computed
     * from that layer's own keys and values (a layer reading another's partials would not). On 2026-12-03 the
     * partials were taken per layer and a step of two 8,192-token documents on the 8B shape (32 layers) ran out of
     * memory.
     */
    @Test
    void layersOfAStepShareTheSplitPartials() {
        try (BackendPair pair = new BackendPair(SEED, PrefillKernel.FASTEST)) {   // its own: the peak is this test's
            layersShareTheSplitPartials(pair);
        }
    }

    private static void layersShareTheSplitPartials(BackendPair pair) {
        AttentionShape shape = AttentionShape.of(8, 2, 128);   // few heads: the CPU reference runs four layers
        int layers = 4;
        SegmentScenario scenario = SegmentScenario.of(pair.random, CONTEXT_LENS, QUERY_LENS);
        pair.cpu.allocateCache(layers, scenario.capacityTokens(), shape.kvSize());
        pair.cuda.allocateCache(layers, scenario.capacityTokens(), shape.kvSize());
        ForwardBatch step = scenario.step();
        long[] peaks = new long[2];
        for (int run = 0; run < 2; run++) {
            int attending = run == 0 ? 1 : layers;
            for (int layer = 0; layer < layers; layer++) {
                writePrefix(pair, scenario.prefix(), shape, layer);
            }
            pair.beginStep(step);
            List<Pair<Tensor>> qkv = new java.util.ArrayList<>();
            List<Pair<Tensor>> out = new java.util.ArrayList<>();
            for (int layer = 0; layer < layers; layer++) {
                qkv.add(pair.randomActivation(step.numTokens(), shape.qkvWidth(), 2f, step));
                out.add(pair.allocate(step.numTokens(), shape.qSize()));
            }
            for (int layer = 0; layer < attending; layer++) {
                pair.cpu.writeCache(layer, qkv.get(layer).cpu(), shape, step);
                pair.cuda.writeCache(layer, qkv.get(layer).cuda(), shape, step);
                pair.cpu.attention(layer, qkv.get(layer).cpu(), shape, step, out.get(layer).cpu());
                pair.cuda.attention(layer, qkv.get(layer).cuda(), shape, step, out.get(layer).cuda());
            }
            for (int layer = 0; layer < attending; layer++) {
                double error = BackendPair.relativeError(pair.cuda.toHost(out.get(layer).cuda()),
                        pair.cpu.toHost(out.get(layer).cpu()));
                assertTrue(error <= TOLERANCE, "layer " + layer + " of " + attending + ": relative error " + error
                        + " (seed " + SEED + ")");
            }
            peaks[run] = pair.cuda.memory().workspacePeakBytes();
        }
        assertEquals(peaks[0], peaks[1], "the step's workspace peak with 1 and with " + layers + " layers attending");
    }

    /** Writes the requests' earlier context tokens to layer 0 of both caches. */
    private static void writePrefix(BackendPair pair, ForwardBatch prefix, AttentionShape shape) {
        writePrefix(pair, prefix, shape, 0);
    }

    /** Writes the requests' earlier context tokens to both caches' layer (attention over them is not needed). */
    private static void writePrefix(BackendPair pair, ForwardBatch prefix, AttentionShape shape, int layer) {
        if (prefix == null) {
            return;
        }
        pair.beginStep(prefix);
        Pair<Tensor> qkv = pair.randomActivation(prefix.numTokens(), shape.qkvWidth(), 2f, prefix);
        pair.cpu.writeCache(layer, qkv.cpu(), shape, prefix);
        pair.cuda.writeCache(layer, qkv.cuda(), shape, prefix);
    }

    private static float[] rows(float[] values, ForwardBatch batch, int seq, AttentionShape shape) {
        return java.util.Arrays.copyOfRange(values, batch.cuSeqlensQ()[seq] * shape.qSize(),
                batch.cuSeqlensQ()[seq + 1] * shape.qSize());
    }
}
