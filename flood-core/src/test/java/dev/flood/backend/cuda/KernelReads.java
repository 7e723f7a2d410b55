package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The segment attention kernels' indexing replayed on the host: for a plan and its batch, which cache slot each
 * packed row's softmax takes each key from, following kernels/src/segment_attention.cuh (PREFILL: the tile loop, a
 * warp's tile skipping and masking, copy_kv_tile's extent walk), decode_attention.cuh (DECODE: each warp's 16 tokens
 * of every tile, for every row, and its masking) and segment_attention_sm90.cuh with
 * warp_specialized_sm90.cuh (PREFILL_SM90: a consumer's my_tiles, unmasked_tiles, skip_tiles and
 * window_mask_tiles, KvTileSource's extent walk) line for line in integer arithmetic. {@link #check} holds the
 * result to what the CPU reference reads: row at position p takes keys windowStart(p) .. p, each once, key j from
 * the slot the request's extents give token j. A disagreement names the request, row, key and both slots.
 */
final class KernelReads {

    private KernelReads() {
    }

    /** Problems found (empty when the kernels would read exactly what the reference reads), at most 20. */
    static List<String> check(ForwardBatch batch, AttentionPlan plan, int group, int window) {
        int[][][] taken = new int[batch.numSeqs()][][];   // [seq][packed row][key] = slot + 1, 0: not taken
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            taken[seq] = new int[batch.queryLen(seq) * group][batch.contextLens()[seq]];
        }
        List<String> problems = new ArrayList<>();
        replay(batch, plan.decodeWork(), AttentionVariant.DECODE, group, window, taken, problems);
        replay(batch, plan.prefillWork(), plan.prefillVariant(), group, window, taken, problems);
        for (int seq = 0; seq < batch.numSeqs() && problems.size() < 20; seq++) {
            int[] slots = batch.contextSlots(seq);
            int firstPosition = batch.contextLens()[seq] - batch.queryLen(seq);
            for (int row = 0; row < taken[seq].length && problems.size() < 20; row++) {
                int position = firstPosition + row / group;
                int windowStart = window == 0 ? 0 : Math.max(0, position - window + 1);
                for (int key = 0; key < slots.length; key++) {
                    boolean wanted = key >= windowStart && key <= position;
                    int got = taken[seq][row][key];
                    if (wanted && got != slots[key] + 1) {
                        problems.add("request " + seq + " row " + row + " (position " + position + "): key " + key
                                + (got == 0 ? " not read" : " read from slot " + (got - 1)) + ", expected slot "
                                + slots[key]);
                        break;
                    }
                    if (!wanted && got != 0) {
                        problems.add("request " + seq + " row " + row + " (position " + position + "): key " + key
                                + " outside its causal window read (slot " + (got - 1) + ")");
                        break;
                    }
                }
            }
        }
        return problems.size() > 20 ? problems.subList(0, 20) : problems;
    }

    private static void replay(ForwardBatch batch, int[] work, AttentionVariant variant, int group, int window,
                               int[][][] taken, List<String> problems) {
        for (int w = 0; w < work.length / AttentionPlan.INTS_PER_ITEM; w++) {
            Item item = new Item(batch, work, w);
            int blockTokens = variant == AttentionVariant.DECODE ? 32 : variant == AttentionVariant.PREFILL ? 64 : 128;
            int numTiles = (item.kvEnd - item.kvBegin + blockTokens - 1) / blockTokens;
            int[][] tileSlots = new int[numTiles][];
            for (int t = 0; t < numTiles; t++) {
                tileSlots[t] = tileSlots(item, item.kvBegin + t * blockTokens, blockTokens);
            }
            if (variant == AttentionVariant.PREFILL_SM90) {
                for (int consumer = 0; consumer < 2; consumer++) {
                    consumerTiles(item, consumer, numTiles, group, window, tileSlots, taken, problems);
                }
            } else if (variant == AttentionVariant.DECODE) {
                for (int warp = 0; warp < 2; warp++) {
                    decodeWarpTokens(item, warp, numTiles, group, window, tileSlots, taken, problems);
                }
            } else {
                for (int warp = 0; warp < 4; warp++) {
                    warpTiles(item, warp, numTiles, blockTokens, group, window, tileSlots, taken, problems);
                }
            }
        }
    }

    /** One work item as the kernels read it (AttentionWork and PersistentItem). */
    private static final class Item {
        final int seq;
        final int rowStart;
        final int numRows;
        final int kvBegin;
        final int kvEnd;
        final int firstPosition;
        final int[] extentStarts;
        final int[] extentFirstTokens;

        Item(ForwardBatch batch, int[] work, int index) {
            int base = index * AttentionPlan.INTS_PER_ITEM;
            seq = work[base];
            rowStart = work[base + 1];
            numRows = work[base + 2];
            kvBegin = work[base + 3];
            kvEnd = work[base + 4];
            int qLen = batch.cuSeqlensQ()[seq + 1] - batch.cuSeqlensQ()[seq];
            firstPosition = batch.contextLens()[seq] - qLen;
            int firstExtent = batch.cuExtents()[seq];
            int numExtents = batch.cuExtents()[seq + 1] - firstExtent;
            extentStarts = new int[numExtents];
            extentFirstTokens = new int[numExtents];
            int firstToken = 0;
            for (int e = 0; e < numExtents; e++) {
                extentStarts[e] = batch.extentStarts()[firstExtent + e];
                extentFirstTokens[e] = firstToken;
                firstToken += batch.extentLengths()[firstExtent + e];
            }
        }

        int position(int row, int group) {
            return firstPosition + (rowStart + row) / group;
        }
    }

    /** load_tile / KvTileSource::copy: the slot of each token of the tile, -1 where it is zero-filled. */
    private static int[] tileSlots(Item item, int tileStart, int blockTokens) {
        int numExtents = item.extentStarts.length;
        int extent = 0;
        while (extent + 1 < numExtents && tileStart >= item.extentFirstTokens[extent + 1]) {
            ++extent;
        }
        int runEnd = extent + 1 < numExtents ? item.extentFirstTokens[extent + 1] : Integer.MAX_VALUE;
        int runBase = item.extentStarts[extent] - item.extentFirstTokens[extent];
        int[] slots = new int[blockTokens];
        for (int row = 0; row < blockTokens; row++) {
            int token = tileStart + row;
            boolean valid = token < item.kvEnd;
            slots[row] = !valid ? -1 : token < runEnd ? runBase + token : extentSlot(item, token);
        }
        return slots;
    }

    private static int extentSlot(Item item, int token) {
        int e = 0;
        while (e + 1 < item.extentStarts.length && token >= item.extentFirstTokens[e + 1]) {
            ++e;
        }
        return item.extentStarts[e] + (token - item.extentFirstTokens[e]);
    }

    /** decode_rows' tile loop for one warp: tokens 16 warp .. 16 warp + 15 of every tile, for all of the rows. */
    private static void decodeWarpTokens(Item item, int warp, int numTiles, int group, int window, int[][] tileSlots,
                                         int[][][] taken, List<String> problems) {
        int minPosition = item.position(0, group);
        int maxPosition = item.position(item.numRows - 1, group);
        for (int t = 0; t < numTiles; t++) {
            int warpStart = item.kvBegin + t * 32 + warp * 16;
            boolean needsMask = warpStart + 15 > minPosition || warpStart + 16 > item.kvEnd
                    || outsideWindow(maxPosition, warpStart, window);
            int[] slots = java.util.Arrays.copyOfRange(tileSlots[t], warp * 16, warp * 16 + 16);
            for (int r = 0; r < item.numRows; r++) {
                take(item, r, item.position(r, group), warpStart, slots, needsMask, window, taken, problems);
            }
        }
    }

    /** segment_attention's main loop for one warp of 16 rows. */
    private static void warpTiles(Item item, int warp, int numTiles, int blockTokens, int group, int window,
                                  int[][] tileSlots, int[][][] taken, List<String> problems) {
        int warpRow = warp * 16;
        if (warpRow >= item.numRows) {
            return;
        }
        int lastRow = Math.min(warpRow + 15, item.numRows - 1);
        int warpMaxPosition = item.position(lastRow, group);
        int warpMinPosition = warpRow + 16 <= item.numRows ? item.position(warpRow, group) : -1;
        int warpWindowStart = window > 0 ? item.position(warpRow, group) - window + 1 : Integer.MIN_VALUE;
        for (int t = 0; t < numTiles; t++) {
            int tileStart = item.kvBegin + t * blockTokens;
            if (tileStart > warpMaxPosition || tileStart + blockTokens - 1 < warpWindowStart) {
                continue;
            }
            boolean needsMask = tileStart + blockTokens - 1 > warpMinPosition || tileStart + blockTokens > item.kvEnd
                    || outsideWindow(warpMaxPosition, tileStart, window);
            for (int r = warpRow; r <= lastRow; r++) {
                take(item, r, item.position(r, group), tileStart, tileSlots[t], needsMask, window, taken, problems);
            }
        }
    }

    /** segment_attention_sm90's turns for one consumer warpgroup of 64 rows: which tiles it computes, masked or not. */
    private static void consumerTiles(Item item, int consumer, int numTiles, int group, int window, int[][] tileSlots,
                                      int[][][] taken, List<String> problems) {
        int blockTokens = 128;
        int consumerRow = consumer * 64;
        boolean groupActive = consumerRow < item.numRows;
        if (!groupActive) {
            return;
        }
        int groupLastRow = Math.min(consumerRow + 63, item.numRows - 1);
        int groupMaxPosition = item.position(groupLastRow, group);
        int groupMinPosition = consumerRow + 64 <= item.numRows ? item.position(consumerRow, group) : -1;
        int myTiles = groupMaxPosition >= item.kvBegin
                ? Math.min(numTiles, (groupMaxPosition - item.kvBegin) / blockTokens + 1) : 0;
        int maskLimit = Math.min(groupMinPosition + 1, item.kvEnd) - item.kvBegin;
        int unmaskedTiles = maskLimit > 0 ? Math.min(myTiles, maskLimit / blockTokens) : 0;
        int skipTiles = 0;
        int windowMaskTiles = 0;
        if (window > 0 && myTiles > 0) {
            int firstStart = item.position(consumerRow, group) - window + 1;
            int lastStart = groupMaxPosition - window + 1;
            skipTiles = Math.min(myTiles - 1, Math.max(0, firstStart - item.kvBegin) / blockTokens);
            windowMaskTiles = Math.min(myTiles, Math.max(0, lastStart - item.kvBegin + blockTokens - 1) / blockTokens);
        }
        for (int t = skipTiles; t < myTiles; t++) {
            boolean masked = !(t >= windowMaskTiles && t < unmaskedTiles);
            int tileStart = item.kvBegin + t * blockTokens;
            for (int r = consumerRow; r <= groupLastRow; r++) {
                take(item, r, item.position(r, group), tileStart, tileSlots[t], masked, window, taken, problems);
            }
        }
    }

    /** One row's share of one computed tile: the keys its softmax keeps, and the slots they came from. */
    private static void take(Item item, int row, int position, int tileStart, int[] slots, boolean masked, int window,
                             int[][][] taken, List<String> problems) {
        int packed = item.rowStart + row;
        int[] keys = taken[item.seq][packed];
        for (int k = 0; k < slots.length; k++) {
            int key = tileStart + k;
            if (masked && (key > position || key >= item.kvEnd || outsideWindow(position, key, window))) {
                continue;
            }
            if (key >= keys.length || slots[k] < 0) {
                if (problems.size() < 20) {
                    problems.add("request " + item.seq + " row " + packed + " (position " + position + "): key " + key
                            + " unmasked past kv_end " + item.kvEnd + " (a zero-filled tile row)");
                }
                continue;
            }
            if (keys[key] != 0 && problems.size() < 20) {
                problems.add("request " + item.seq + " row " + packed + ": key " + key + " read twice");
            }
            keys[key] = slots[k] + 1;
        }
    }

    private static boolean outsideWindow(int position, int key, int window) {
        return window > 0 && position - key >= window;
    }
}
