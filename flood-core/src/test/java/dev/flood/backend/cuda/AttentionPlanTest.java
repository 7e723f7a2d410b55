package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ForwardBatch;
import dev.flood.engine.LineageRuns;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The attention plan (host side, no GPU): every packed row of every request is covered by exactly one tile of
 * its variant (with either prefill variant), each tile's splits cover its causal context [0, last position + 1)
 * without gaps (with a sliding window, from the first row's window start), split tiles get disjoint partial rows and one merge each, and the prefill work runs longest first.
 * Also which prefill variant each device and head dim gets, and that the Hopper variant's shared memory fits.
 *
 * <p>Prefix caching: with the kernels' indexing replayed on the host ({@link KernelReads}), every row of a request
 * whose context starts with a cached prefix (an extent other requests list too, apart from the request's own,
 * of a length no tile size divides) reads each key of its causal window once, from the slot its extents give;
 * and so do the rows of every step the engine runs for prompts behind a shared preamble, cold and from a warm
 * cache, whose slots hold what each request's context is ({@link LineageRuns}).
 */
class AttentionPlanTest {

    private static final long SEED = System.nanoTime();

    @RepeatedTest(20)
    void tilesAndSplitsCoverEveryRowAndItsContext() {
        Random random = new Random(SEED);
        int numSeqs = 1 + random.nextInt(9);
        int group = new int[] {1, 2, 4, 8}[random.nextInt(4)];
        AttentionVariant[] prefillVariants = {AttentionVariant.PREFILL, AttentionVariant.PREFILL_SM90};
        AttentionVariant prefill = prefillVariants[random.nextInt(prefillVariants.length)];
        int[] queryLens = new int[numSeqs];
        int[] contextLens = new int[numSeqs];
        for (int r = 0; r < numSeqs; r++) {
            queryLens[r] = random.nextBoolean() ? 1 : 1 + random.nextInt(300);
            contextLens[r] = queryLens[r] + (random.nextBoolean() ? 0 : random.nextInt(9000));
        }
        ForwardBatch batch = batch(queryLens, contextLens);
        int window = random.nextBoolean() ? 0 : 1 + random.nextInt(random.nextBoolean() ? 64 : 5000);
        AttentionPlan plan = AttentionPlan.of(batch, group, window, prefill);

        int[][] rowCoverage = new int[numSeqs][];
        for (int r = 0; r < numSeqs; r++) {
            rowCoverage[r] = new int[queryLens[r] * group];
        }
        Set<Integer> partialRowsSeen = new HashSet<>();
        checkWork(plan.decodeWork(), AttentionVariant.DECODE, batch, new Heads(group, window), rowCoverage,
                partialRowsSeen);
        checkWork(plan.prefillWork(), prefill, batch, new Heads(group, window), rowCoverage, partialRowsSeen);
        for (int r = 0; r < numSeqs; r++) {
            for (int row = 0; row < rowCoverage[r].length; row++) {
                assertEquals(1, rowCoverage[r][row], "seed " + SEED + ": request " + r + " row " + row + " covered by "
                        + rowCoverage[r][row] + " tiles");
            }
        }
        assertEquals(plan.partialRows(), partialRowsSeen.size(), "partial rows used once each (seed " + SEED + ")");
        int mergedRows = 0;
        for (int m = 0; m < plan.numMerges(); m++) {
            int[] merge = item(plan.merges(), m);
            assertTrue(merge[4] > 1, "a merge combines several splits");
            mergedRows += merge[2] * merge[4];
        }
        assertEquals(plan.partialRows(), mergedRows, "every partial row is read by one merge");
        for (int w = 1; w < plan.numPrefillWork(); w++) {
            int[] previous = item(plan.prefillWork(), w - 1);
            int[] current = item(plan.prefillWork(), w);
            assertTrue(previous[4] - previous[3] >= current[4] - current[3], "prefill work longest first");
        }
    }

    @Test
    void decodeSplitsAreAboutAnEighthOfTheContextWithinBounds() {
        assertEquals(512, AttentionVariant.DECODE.splitTokens(700), "at least 512");
        assertEquals(512, AttentionVariant.DECODE.splitTokens(384), "one split up to 512 tokens");
        assertEquals(1024, AttentionVariant.DECODE.splitTokens(8192));
        assertEquals(544, AttentionVariant.DECODE.splitTokens(4097), "a multiple of the 32-token tile");
        assertEquals(2048, AttentionVariant.DECODE.splitTokens(100_000), "at most 2048");
        assertEquals(4096, AttentionVariant.PREFILL.splitTokens(9000));
        assertEquals(4096, AttentionVariant.PREFILL_SM90.splitTokens(9000));
    }

    @Test
    void hopperPrefillRunsOnComputeCapability9WithHeadDims64And128() {
        assertEquals(AttentionVariant.PREFILL_SM90, PrefillKernel.FASTEST.variant(90, 128));
        assertEquals(AttentionVariant.PREFILL_SM90, PrefillKernel.FASTEST.variant(90, 64));
        assertEquals(AttentionVariant.PREFILL, PrefillKernel.FASTEST.variant(90, 32), "no wgmma kernel for d32");
        assertEquals(AttentionVariant.PREFILL, PrefillKernel.FASTEST.variant(80, 128), "sm_90a code only on 9.x");
        assertEquals(AttentionVariant.PREFILL, PrefillKernel.FASTEST.variant(100, 128), "sm_90a code only on 9.x");
        assertEquals(AttentionVariant.PREFILL, PrefillKernel.MMA_SYNC.variant(90, 128));
    }

    @Test
    void decodeBlocksFitSixPerSm() {
        // two stages of 32-token K and V tiles, rows of 136 bf16; H100/H200 have 228 KB per SM, of which each block
        // also takes 1 KB reserved and 128 bytes of static extents
        assertEquals(34_816, AttentionVariant.DECODE.sharedBytes(128));
        assertTrue(6 * (AttentionVariant.DECODE.sharedBytes(128) + 1024 + 128) <= 228 * 1024);
        assertEquals(64, AttentionVariant.DECODE.threads(), "two warps");
        assertEquals(87_040, AttentionVariant.PREFILL.sharedBytes(128), "two stages of 64-token tiles, as before");
    }

    @Test
    void hopperPrefillSharedMemoryFitsTheOptInLimit() {
        // H100/H200: 227 KB of shared memory per block after opting in; the kernel adds 176 bytes of static extents
        // and mbarriers.
        assertEquals(230_400, AttentionVariant.PREFILL_SM90.sharedBytes(128));
        assertTrue(AttentionVariant.PREFILL_SM90.sharedBytes(128) + 176 <= 227 * 1024);
        assertEquals(115_712, AttentionVariant.PREFILL_SM90.sharedBytes(64));
        assertEquals(128, AttentionVariant.PREFILL_SM90.rows());
        assertEquals(384, AttentionVariant.PREFILL_SM90.threads(), "a producer and two consumer warpgroups");
        assertTrue(AttentionVariant.PREFILL_SM90.persistent(), "a persistent grid looping over work items");
        assertTrue(!AttentionVariant.PREFILL.persistent(), "one block per work item");
    }

    @Test
    void decodeIsNotAPrefillVariant() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> AttentionPlan.of(batch(new int[] {40}, new int[] {40}), 4, AttentionVariant.DECODE));
        assertEquals("the prefill variant cannot be DECODE", e.getMessage());
    }

    @Test
    void hopperPrefillTilesHold128Rows() {
        AttentionPlan plan = AttentionPlan.of(batch(new int[] {111}, new int[] {111}), 4,
                AttentionVariant.PREFILL_SM90);
        assertEquals(4, plan.numPrefillWork(), "444 packed rows in tiles of 128");
        int[] first = item(plan.prefillWork(), 0);
        assertEquals(384, first[1], "longest first: the last tile");
        assertEquals(60, first[2]);
        assertEquals(111, first[4]);
    }

    @Test
    void decodeOfALongContextSplitsAt512Tokens() {
        AttentionPlan plan = AttentionPlan.of(batch(new int[] {1}, new int[] {1300}), 4, AttentionVariant.PREFILL);
        assertEquals(3, plan.numDecodeWork());
        assertEquals(0, plan.numPrefillWork());
        assertEquals(1, plan.numMerges());
        assertEquals(12, plan.partialRows(), "3 splits x 4 rows (one token, four heads per KV head)");
        int[] last = item(plan.decodeWork(), 2);
        assertEquals(1024, last[3]);
        assertEquals(1300, last[4]);
        assertEquals(8, last[5], "the third split's partial rows start at 2 x 4");
        AttentionPlan short_ = AttentionPlan.of(batch(new int[] {1}, new int[] {512}), 4, AttentionVariant.PREFILL);
        assertEquals(1, short_.numDecodeWork(), "a context of 512 in one block");
        assertEquals(0, short_.numMerges());
    }

    @Test
    void aSlidingWindowStartsEachTileAtItsFirstRowsWindow() {
        // a prefill of 300 tokens after 700, group 4: 1200 packed rows in tiles of 64 (16 tokens), window 100
        AttentionPlan plan = AttentionPlan.of(batch(new int[] {300}, new int[] {1000}), 4, 100,
                AttentionVariant.PREFILL);
        assertEquals(19, plan.numPrefillWork(), "1200 rows in tiles of 64, none split");
        assertEquals(115, item(plan.prefillWork(), 0)[4] - item(plan.prefillWork(), 0)[3],
                "100 window positions and 15 more for a full tile's 16 tokens");
        int[] last = item(plan.prefillWork(), 18);
        assertEquals(111, last[4] - last[3], "the last tile: 12 tokens");
        for (int w = 0; w < plan.numPrefillWork(); w++) {
            int[] item = item(plan.prefillWork(), w);
            assertEquals(700 + item[1] / 4 - 99, item[3], "kv begins at the first row's window start");
            assertEquals(700 + (item[1] + item[2] - 1) / 4 + 1, item[4], "and ends after the last row's position");
        }
        AttentionPlan decode = AttentionPlan.of(batch(new int[] {1}, new int[] {9000}), 4, 4096,
                AttentionVariant.PREFILL);
        assertEquals(8, decode.numDecodeWork(), "the window's 4096 tokens in 8 splits of 512");
        assertEquals(9000 - 4096, item(decode.decodeWork(), 0)[3]);
        assertEquals(9000 - 4096 + 512, item(decode.decodeWork(), 0)[4]);
    }

    /**
     * Requests behind one cached prefix, each listing the prefix's extent first (the same slots, far from its own)
     * and computing only its suffix: prefixes of 16, 48, 208 and 992 tokens (whole 16-token blocks, none a multiple
     * of every tile: 32, 64, 128), suffixes of 1 to 333 tokens, own slots in one or two extents; every group size,
     * both prefill variants, with and without a sliding window.
     */
    @Test
    void kernelsReadEachKeyFromItsSlotAfterAnAttachedPrefix() {
        int[] prefixes = {16, 48, 208, 992, 48, 208, 992, 16};
        int[] suffixes = {1, 7, 19, 111, 333, 2, 64, 130};
        SegmentScenario scenario = SegmentScenario.attachedPrefix(new Random(SEED), prefixes, suffixes);
        ForwardBatch batch = scenario.step();
        Set<Integer> prefixSlots = new HashSet<>();
        for (int slot : scenario.prefix().slotMapping()) {
            assertTrue(prefixSlots.add(slot) && slot < scenario.capacityTokens(), "prefix slot " + slot);
        }
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            int[] context = java.util.stream.IntStream.range(batch.cuExtents()[seq], batch.cuExtents()[seq + 1])
                    .flatMap(e -> java.util.stream.IntStream.range(batch.extentStarts()[e],
                            batch.extentStarts()[e] + batch.extentLengths()[e])).toArray();
            for (int j = 0; j < batch.contextLens()[seq]; j++) {
                int row = batch.cuSeqlensQ()[seq] + j - prefixes[seq];
                assertTrue(j < prefixes[seq] ? prefixSlots.contains(context[j])
                        : batch.slotMapping()[row] == context[j] && !prefixSlots.contains(context[j]),
                        "request " + seq + " token " + j + " (seed " + SEED + ")");
            }
        }
        for (int group : new int[] {1, 2, 4, 8}) {
            for (AttentionVariant prefill : new AttentionVariant[] {AttentionVariant.PREFILL,
                    AttentionVariant.PREFILL_SM90}) {
                for (int window : new int[] {0, 12, 200}) {
                    AttentionPlan plan = AttentionPlan.of(batch, group, window, prefill);
                    assertEquals(List.of(), KernelReads.check(batch, plan, group, window), "group " + group + ", "
                            + prefill + ", window " + window + " (seed " + SEED + ")");
                }
            }
        }
    }

    /**
     * The replay is not blind: work planned as if the suffix began at position 0 (the query block's own start) stops
     * each row's keys after the suffix's length, short of its position.
     */
    @Test
    void kernelReadsFindAPlanThatIgnoresTheAttachedPrefix() {
        ForwardBatch batch = SegmentScenario.attachedPrefix(new Random(SEED), new int[] {48}, new int[] {19}).step();
        AttentionPlan fromZero = AttentionPlan.of(batch(new int[] {19}, new int[] {19}), 2, AttentionVariant.PREFILL);
        List<String> problems = KernelReads.check(batch, fromZero, 2, 0);
        assertTrue(!problems.isEmpty() && problems.get(0).startsWith("request 0 row 0 (position 48): key 19 not read"),
                problems.toString());
    }

    /**
     * What the engine runs: the fixture prompts behind one preamble, in steps of 23 tokens, once cold (the first
     * request computes the preamble, the others attach it) and once from a warm cache (every request attaches all
     * its prompt's full blocks and computes only the rest). No step reads a slot that does not hold its request's
     * context, and the kernels would read each key from the slot the reference reads, for every group size and
     * prefill variant.
     */
    @Test
    void kernelsReadWhatTheEnginesStepsLayOutWithPrefixCaching() {
        LineageRuns.Run run = EnginePrefixSteps.run();
        assertEquals(List.of(), run.violations());
        List<Long> hitTokens = EnginePrefixSteps.hitTokensPerRound();
        assertTrue(hitTokens.get(1) > hitTokens.get(0), "the warm round reads more from the cache than the cold one: "
                + hitTokens);
        int attached = 0;
        for (ForwardBatch batch : run.batches()) {
            for (int seq = 0; seq < batch.numSeqs(); seq++) {
                attached += batch.cuExtents()[seq + 1] - batch.cuExtents()[seq] > 1 ? 1 : 0;
            }
            for (int group : new int[] {1, 2, 4}) {
                for (AttentionVariant prefill : new AttentionVariant[] {AttentionVariant.PREFILL,
                        AttentionVariant.PREFILL_SM90}) {
                    AttentionPlan plan = AttentionPlan.of(batch, group, prefill);
                    assertEquals(List.of(), KernelReads.check(batch, plan, group, 0), "group " + group + ", "
                            + prefill);
                }
            }
        }
        assertTrue(attached > 0, "some request read its context from several extents");
    }

    /** The group size and sliding window (0: none) of a plan. */
    private record Heads(int group, int window) {
        int windowStart(int position) {
            return window == 0 ? 0 : Math.max(0, position - window + 1);
        }
    }

    private static void checkWork(int[] work, AttentionVariant variant, ForwardBatch batch, Heads heads,
                                  int[][] rowCoverage, Set<Integer> partialRowsSeen) {
        int group = heads.group();
        // tile (seq, rowStart) -> next expected kvBegin, checked in split order
        java.util.Map<Long, Integer> nextBegin = new java.util.HashMap<>();
        for (int w = 0; w < work.length / AttentionPlan.INTS_PER_ITEM; w++) {
            int[] item = item(work, w);
            int seq = item[0];
            int rowStart = item[1];
            int numRows = item[2];
            int rows = batch.queryLen(seq) * group;
            assertEquals(variant == AttentionVariant.DECODE, rows <= AttentionVariant.DECODE.rows(),
                    "request " + seq + " of " + rows + " packed rows in the " + variant + " work");
            assertTrue(numRows >= 1 && numRows <= variant.rows() && rowStart % variant.rows() == 0);
            int firstPosition = batch.contextLens()[seq] - batch.queryLen(seq);
            assertEquals(batch.cuSeqlensQ()[seq], item[6], "the item carries its request's first query row");
            assertEquals(firstPosition, item[7], "the item carries the position of its request's first query");
            int lastPosition = firstPosition + (rowStart + numRows - 1) / group;
            int kvStart = heads.windowStart(firstPosition + rowStart / group);
            assertTrue(item[4] <= lastPosition + 1 && item[3] < item[4] && item[3] >= kvStart,
                    "kv range within the causal context and the first row's window");
            int splitTokens = variant.splitTokens(lastPosition + 1 - kvStart);
            assertTrue(item[4] - item[3] <= splitTokens && (item[3] - kvStart) % splitTokens == 0,
                    "splits of " + splitTokens + " tokens");
            long tile = (long) seq << 32 | rowStart;
            nextBegin.putIfAbsent(tile, kvStart);
            if (item[3] == nextBegin.get(tile)) {
                nextBegin.put(tile, item[4]);
            }
            if (item[5] >= 0) {
                for (int r = 0; r < numRows; r++) {
                    assertTrue(partialRowsSeen.add(item[5] + r), "partial row " + (item[5] + r) + " used twice");
                }
            } else {
                assertEquals(kvStart, item[3], "an unsplit tile covers its whole context");
            }
            if (item[3] == kvStart) {
                for (int r = rowStart; r < rowStart + numRows; r++) {
                    rowCoverage[seq][r]++;
                }
            }
        }
        for (var entry : nextBegin.entrySet()) {
            int seq = (int) (entry.getKey() >>> 32);
            int rowStart = (int) (long) entry.getKey();
            int numRows = Math.min(variant.rows(), batch.queryLen(seq) * group - rowStart);
            int lastPosition = batch.contextLens()[seq] - batch.queryLen(seq) + (rowStart + numRows - 1) / group;
            assertEquals(lastPosition + 1, entry.getValue(), "splits of request " + seq + " tile " + rowStart
                    + " end at its last position + 1");
        }
    }

    private static int[] item(int[] items, int index) {
        return java.util.Arrays.copyOfRange(items, index * AttentionPlan.INTS_PER_ITEM,
                (index + 1) * AttentionPlan.INTS_PER_ITEM);
    }

    /** A batch whose requests each hold their whole context in one extent (the plan reads only the lengths). */
    static ForwardBatch batch(int[] queryLens, int[] contextLens) {
        int numSeqs = queryLens.length;
        int numTokens = java.util.Arrays.stream(queryLens).sum();
        int[] cuSeqlensQ = new int[numSeqs + 1];
        int[] cuExtents = new int[numSeqs + 1];
        int[] starts = new int[numSeqs];
        int slot = 0;
        for (int r = 0; r < numSeqs; r++) {
            cuSeqlensQ[r + 1] = cuSeqlensQ[r] + queryLens[r];
            cuExtents[r + 1] = r + 1;
            starts[r] = slot;
            slot += contextLens[r];
        }
        return new ForwardBatch(new int[numTokens], new int[numTokens], new int[numTokens], cuSeqlensQ, contextLens,
                cuExtents, starts, contextLens.clone(), new int[0]);
    }
}
