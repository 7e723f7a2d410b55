package dev.flood.backend.cuda;

import dev.flood.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Requests laid out in a segment cache as the engine lays them out: each request's context in 1 to 4 extents,
 * the extents of all requests shuffled over the cache with gaps (so a request's slots are neither contiguous nor
 * increasing), and two steps: {@code prefix} writes each request's earlier context tokens (null when no request
 * has any), {@code step} runs the requests' query tokens. Token ids are row indices 0..n-1 (tests embed rows of
 * a table as activations).
 */
record SegmentScenario(ForwardBatch prefix, ForwardBatch step, int capacityTokens) {

    static SegmentScenario of(Random random, int[] contextLens, int[] queryLens) {
        int numSeqs = contextLens.length;
        List<int[]> extents = new ArrayList<>();  // (seq, index in seq, length)
        int[] numExtents = new int[numSeqs];
        for (int r = 0; r < numSeqs; r++) {
            int slots = contextLens[r] + random.nextInt(8);
            numExtents[r] = Math.min(slots, 1 + random.nextInt(4));
            int left = slots;
            for (int e = 0; e < numExtents[r]; e++) {
                int length = e == numExtents[r] - 1 ? left
                        : 1 + random.nextInt(Math.max(1, left - (numExtents[r] - e - 1)));
                length = Math.min(length, left - (numExtents[r] - e - 1));
                extents.add(new int[] {r, e, length});
                left -= length;
            }
        }
        Collections.shuffle(extents, random);
        int[][] starts = new int[numSeqs][];
        int[][] lengths = new int[numSeqs][];
        for (int r = 0; r < numSeqs; r++) {
            starts[r] = new int[numExtents[r]];
            lengths[r] = new int[numExtents[r]];
        }
        int cursor = 0;
        for (int[] extent : extents) {
            cursor += random.nextInt(5);
            starts[extent[0]][extent[1]] = cursor;
            lengths[extent[0]][extent[1]] = extent[2];
            cursor += extent[2];
        }
        int capacity = cursor + random.nextInt(5) + 1;
        int[] prefixLens = new int[numSeqs];
        for (int r = 0; r < numSeqs; r++) {
            prefixLens[r] = contextLens[r] - queryLens[r];
        }
        ForwardBatch prefix = java.util.Arrays.stream(prefixLens).sum() == 0 ? null
                : batch(starts, lengths, prefixLens, new int[numSeqs], prefixLens);
        ForwardBatch step = batch(starts, lengths, queryLens, prefixLens, contextLens);
        return new SegmentScenario(prefix, step, capacity);
    }

    /**
     * Prefix caching's layout: request r lists one cached prefix extent of prefixes[r] slots first (requests with
     * equal prefixes list the same slots, as requests behind one cached prompt do) and then its own slots, in one or
     * two extents apart from every other; {@code step} computes its suffixes[r] tokens after the prefix, and
     * {@code prefix} writes each prefix slot once (one row per slot, in a request of its own).
     */
    static SegmentScenario attachedPrefix(Random random, int[] prefixes, int[] suffixes) {
        int numSeqs = prefixes.length;
        java.util.Map<Integer, Integer> prefixStart = new java.util.HashMap<>();
        int cursor = 5;
        for (int prefix : prefixes) {
            if (!prefixStart.containsKey(prefix)) {
                prefixStart.put(prefix, cursor);
                cursor += prefix + 3 + random.nextInt(40);
            }
        }
        int numTokens = java.util.Arrays.stream(suffixes).sum();
        int[] positions = new int[numTokens];
        int[] slotMapping = new int[numTokens];
        int[] cuSeqlensQ = new int[numSeqs + 1];
        int[] contextLens = new int[numSeqs];
        int[] cuExtents = new int[numSeqs + 1];
        List<Integer> starts = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        int row = 0;
        for (int r = 0; r < numSeqs; r++) {
            starts.add(prefixStart.get(prefixes[r]));
            lengths.add(prefixes[r]);
            int own = suffixes[r] + random.nextInt(24);
            int firstPiece = own > 1 && random.nextBoolean() ? 1 + random.nextInt(own - 1) : own;
            int[] pieceStarts = {cursor + random.nextInt(7), 0};
            cursor = pieceStarts[0] + firstPiece + 1 + random.nextInt(30);
            pieceStarts[1] = cursor;
            starts.add(pieceStarts[0]);
            lengths.add(firstPiece);
            if (firstPiece < own) {
                starts.add(pieceStarts[1]);
                lengths.add(own - firstPiece);
                cursor += own - firstPiece;
            }
            cursor += 1 + random.nextInt(9);
            for (int i = 0; i < suffixes[r]; i++) {
                positions[row] = prefixes[r] + i;
                slotMapping[row] = i < firstPiece ? pieceStarts[0] + i : pieceStarts[1] + i - firstPiece;
                row++;
            }
            cuSeqlensQ[r + 1] = row;
            contextLens[r] = prefixes[r] + suffixes[r];
            cuExtents[r + 1] = starts.size();
        }
        int[] ids = java.util.stream.IntStream.range(0, numTokens).toArray();
        ForwardBatch step = new ForwardBatch(ids, positions, slotMapping, cuSeqlensQ, contextLens, cuExtents,
                starts.stream().mapToInt(Integer::intValue).toArray(),
                lengths.stream().mapToInt(Integer::intValue).toArray(), new int[0]);
        int capacity = cursor + 1;
        int[] prefixSlots = prefixStart.entrySet().stream()
                .flatMapToInt(e -> java.util.stream.IntStream.range(e.getValue(), e.getValue() + e.getKey()))
                .sorted().toArray();
        return new SegmentScenario(writes(prefixSlots, capacity), step, capacity);
    }

    /** One request whose rows write the given slots, each once (its context: the whole cache, one extent). */
    static ForwardBatch writes(int[] slots, int capacity) {
        int[] ids = java.util.stream.IntStream.range(0, slots.length).toArray();
        return new ForwardBatch(ids, ids.clone(), slots.clone(), new int[] {0, slots.length},
                new int[] {slots.length}, new int[] {0, 1}, new int[] {0}, new int[] {capacity}, new int[0]);
    }

    /** Requests with {@code queryLens[r] > 0}, each feeding tokens firstPositions[r] .. contextLens[r] - 1. */
    private static ForwardBatch batch(int[][] starts, int[][] lengths, int[] queryLens, int[] firstPositions,
                                      int[] contextLens) {
        List<Integer> seqs = new ArrayList<>();
        for (int r = 0; r < queryLens.length; r++) {
            if (queryLens[r] > 0) {
                seqs.add(r);
            }
        }
        int numTokens = seqs.stream().mapToInt(r -> queryLens[r]).sum();
        int numExtents = seqs.stream().mapToInt(r -> starts[r].length).sum();
        int[] positions = new int[numTokens];
        int[] slots = new int[numTokens];
        int[] cuSeqlensQ = new int[seqs.size() + 1];
        int[] contexts = new int[seqs.size()];
        int[] cuExtents = new int[seqs.size() + 1];
        int[] extentStarts = new int[numExtents];
        int[] extentLengths = new int[numExtents];
        int row = 0;
        int extent = 0;
        for (int i = 0; i < seqs.size(); i++) {
            int r = seqs.get(i);
            for (int q = 0; q < queryLens[r]; q++) {
                positions[row] = firstPositions[r] + q;
                slots[row] = slotOf(starts[r], lengths[r], positions[row]);
                row++;
            }
            cuSeqlensQ[i + 1] = row;
            contexts[i] = contextLens[r];
            for (int e = 0; e < starts[r].length; e++) {
                extentStarts[extent] = starts[r][e];
                extentLengths[extent] = lengths[r][e];
                extent++;
            }
            cuExtents[i + 1] = extent;
        }
        int[] ids = java.util.stream.IntStream.range(0, numTokens).toArray();
        return new ForwardBatch(ids, positions, slots, cuSeqlensQ, contexts, cuExtents, extentStarts, extentLengths,
                new int[0]);
    }

    private static int slotOf(int[] starts, int[] lengths, int token) {
        for (int e = 0; e < starts.length; e++) {
            if (token < lengths[e]) {
                return starts[e] + token;
            }
            token -= lengths[e];
        }
        throw new IllegalStateException("token beyond the extents");
    }
}
