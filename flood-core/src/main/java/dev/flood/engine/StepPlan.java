package dev.flood.engine;

import dev.flood.backend.ForwardBatch;
import dev.flood.cache.Extent;
import java.util.List;

/**
 * The requests one step runs, how many tokens each feeds, and the {@link ForwardBatch} built from them. Logit
 * rows come in plan order: each generation's last row if that row ends its known tokens. Scored rows need no
 * logits rows: {@link StepResults} reads their log-probabilities from the hidden states.
 */
record StepPlan(List<Scheduled> scheduled, ForwardBatch batch) {

    /** A sequence and the number of its pending tokens this step feeds. */
    record Scheduled(Sequence sequence, int numTokens) {
    }

    static StepPlan of(List<Scheduled> scheduled) {
        int numTokens = scheduled.stream().mapToInt(Scheduled::numTokens).sum();
        int numExtents = scheduled.stream().mapToInt(s -> s.sequence().cache().numExtents()).sum();
        int numSeqs = scheduled.size();
        int[] tokenIds = new int[numTokens];
        int[] positions = new int[numTokens];
        int[] slotMapping = new int[numTokens];
        int[] cuSeqlensQ = new int[numSeqs + 1];
        int[] contextLens = new int[numSeqs];
        int[] cuExtents = new int[numSeqs + 1];
        int[] extentStarts = new int[numExtents];
        int[] extentLengths = new int[numExtents];
        int[] logitRows = new int[numTokens];
        int numLogitRows = 0;
        int row = 0;
        int extent = 0;
        for (int r = 0; r < numSeqs; r++) {
            Sequence sequence = scheduled.get(r).sequence();
            int first = sequence.numComputed();
            int count = scheduled.get(r).numTokens();
            sequence.cache().slots(first, count, slotMapping, row);
            for (int i = 0; i < count; i++) {
                int position = first + i;
                tokenIds[row + i] = sequence.token(position);
                positions[row + i] = position;
                if (sequence.work.samplesNextToken() && position + 1 == sequence.numTokens()) {
                    logitRows[numLogitRows++] = row + i;
                }
            }
            row += count;
            cuSeqlensQ[r + 1] = row;
            contextLens[r] = first + count;
            for (Extent e : sequence.cache().extents()) {
                extentStarts[extent] = e.start();
                extentLengths[extent] = e.length();
                extent++;
            }
            cuExtents[r + 1] = extent;
        }
        ForwardBatch batch = new ForwardBatch(tokenIds, positions, slotMapping, cuSeqlensQ, contextLens, cuExtents,
                extentStarts, extentLengths, java.util.Arrays.copyOf(logitRows, numLogitRows));
        return new StepPlan(List.copyOf(scheduled), batch);
    }

    boolean isEmpty() {
        return scheduled.isEmpty();
    }
}
