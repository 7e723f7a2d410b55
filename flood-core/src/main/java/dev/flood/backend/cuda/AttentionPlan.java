package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How one step's attention is cut into blocks (the same for every layer of the step with the same group size and
 * sliding window). Per request, its packed rows ({@code queryLen * group}, row = token * group + head in group) are
 * cut into tiles of its {@link AttentionVariant}'s size; a tile needs context tokens up to its last row's position
 * (causal), from 0 or, with a sliding window, from its first row's window start (position - window + 1), and a
 * longer range than the variant's split size is cut into splits, each a work item writing partial results that
 * one merge item combines. Each row sees its own position, so every row has keys in at least one split.
 *
 * <p>Layouts, int[8] per item (kernels/src/segment_attention.cuh and attention_merge.cuh):
 * work {@code (seq, rowStart, numRows, kvBegin, kvEnd, partialRow or -1, qStart, firstPosition)} (the
 * request's first query row and that query's position, so a kernel starts without reading them per request),
 * merge {@code (seq, rowStart, numRows, firstPartialRow, numSplits, 0, 0, 0)}; split s of a merged tile writes
 * partial rows {@code firstPartialRow + s * numRows ..}. Prefill work is ordered longest first, so the long
 * causal tiles start early and the short ones fill in behind them.
 *
 * @param prefillVariant the variant of every prefill work item (PREFILL or PREFILL_SM90)
 * @param partialRows    rows of the partial buffers (per KV head) that the split work items write
 */
record AttentionPlan(AttentionVariant prefillVariant, int[] decodeWork, int[] prefillWork, int[] merges,
                     int partialRows) {

    static final int INTS_PER_ITEM = 8;

    static AttentionPlan of(ForwardBatch batch, int group, AttentionVariant prefillVariant) {
        return of(batch, group, 0, prefillVariant);
    }

    /** The plan when each query sees only the last {@code slidingWindow} positions (0: no window). */
    static AttentionPlan of(ForwardBatch batch, int group, int slidingWindow, AttentionVariant prefillVariant) {
        List<int[]> decode = new ArrayList<>();
        List<int[]> prefill = new ArrayList<>();
        List<int[]> merges = new ArrayList<>();
        int partialRows = 0;
        for (int seq = 0; seq < batch.numSeqs(); seq++) {
            int queryLen = batch.queryLen(seq);
            int firstPosition = batch.contextLens()[seq] - queryLen;
            int rows = queryLen * group;
            AttentionVariant variant = AttentionVariant.of(rows, prefillVariant);
            List<int[]> work = variant == AttentionVariant.DECODE ? decode : prefill;
            for (int rowStart = 0; rowStart < rows; rowStart += variant.rows()) {
                int numRows = Math.min(variant.rows(), rows - rowStart);
                int kvEnd = firstPosition + (rowStart + numRows - 1) / group + 1;
                int kvStart = slidingWindow == 0 ? 0
                        : Math.max(0, firstPosition + rowStart / group - slidingWindow + 1);
                int kvLength = kvEnd - kvStart;
                int splitTokens = variant.splitTokens(kvLength);
                int numSplits = (kvLength + splitTokens - 1) / splitTokens;
                int firstPartialRow = -1;
                if (numSplits > 1) {
                    firstPartialRow = partialRows;
                    partialRows = Math.addExact(partialRows, numSplits * numRows);
                    merges.add(new int[] {seq, rowStart, numRows, firstPartialRow, numSplits, 0, 0, 0});
                }
                for (int split = 0; split < numSplits; split++) {
                    int splitBegin = kvStart + split * splitTokens;
                    int splitEnd = Math.min(kvEnd, splitBegin + splitTokens);
                    int partialRow = numSplits > 1 ? firstPartialRow + split * numRows : -1;
                    work.add(new int[] {seq, rowStart, numRows, splitBegin, splitEnd, partialRow,
                        batch.cuSeqlensQ()[seq], firstPosition});
                }
            }
        }
        prefill.sort(Comparator.comparingInt((int[] item) -> item[4] - item[3]).reversed());
        return new AttentionPlan(prefillVariant, flatten(decode), flatten(prefill), flatten(merges), partialRows);
    }

    int numDecodeWork() {
        return decodeWork.length / INTS_PER_ITEM;
    }

    int numPrefillWork() {
        return prefillWork.length / INTS_PER_ITEM;
    }

    int numMerges() {
        return merges.length / INTS_PER_ITEM;
    }

    private static int[] flatten(List<int[]> items) {
        int[] flat = new int[items.size() * INTS_PER_ITEM];
        for (int i = 0; i < items.size(); i++) {
            System.arraycopy(items.get(i), 0, flat, i * INTS_PER_ITEM, INTS_PER_ITEM);
        }
        return flat;
    }
}
