package dev.flood.cache;

import dev.flood.api.CacheStats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Hands out the slots of the segment KV cache (FLOOD's design): each request holds one or a few contiguous extents
 * of slots rather than fixed-size pages. This class is pure bookkeeping over slot indices {@code [0,
 * capacityTokens)}; the backend that owns the K and V slabs (CPU arrays or device memory) reads the slots through
 * each request's {@link SegmentTable}.
 *
 * <p>Free space is kept fully coalesced (no two free extents touch) in two sorted views of the same extents: by
 * start, to find the neighbours a freed extent merges with, and by (length, start), for best fit. Allocate, grow
 * and free cost O(log n) in the number of free extents, times at most {@code maxExtentsPerRequest} pieces.
 *
 * <p>Not thread-safe: the engine calls it from its single scheduling thread.
 */
public final class SegmentAllocator {

    private static final Comparator<Extent> BY_LENGTH_THEN_START =
            Comparator.comparingInt(Extent::length).thenComparingInt(Extent::start);

    private final int capacityTokens;
    private final int maxExtentsPerRequest;
    /** Free extents keyed by start slot; the same extents as freeByLength. */
    private final TreeMap<Integer, Extent> freeByStart = new TreeMap<>();
    private final TreeSet<Extent> freeByLength = new TreeSet<>(BY_LENGTH_THEN_START);
    /** tablesByNumExtents[k]: live tables holding exactly k extents (1 <= k <= maxExtentsPerRequest). */
    private final int[] tablesByNumExtents;
    private int usedTokens;
    private int liveTables;
    private int liveExtents;

    public SegmentAllocator(int capacityTokens, int maxExtentsPerRequest) {
        if (capacityTokens < 1) {
            throw new IllegalArgumentException("capacityTokens must be >= 1, got " + capacityTokens);
        }
        if (maxExtentsPerRequest < 1) {
            throw new IllegalArgumentException("maxExtentsPerRequest must be >= 1, got " + maxExtentsPerRequest);
        }
        this.capacityTokens = capacityTokens;
        this.maxExtentsPerRequest = maxExtentsPerRequest;
        this.tablesByNumExtents = new int[maxExtentsPerRequest + 1];
        addFree(new Extent(0, capacityTokens));
    }

    /**
     * Slots for a new request of {@code tokens} tokens. Best fit: the smallest free extent that holds them all
     * (ties: lowest start), whose first {@code tokens} slots are taken. If no free extent is long enough, free
     * extents are taken largest first (ties: highest start), the last one only in part, provided that needs at most
     * {@code maxExtentsPerRequest} extents. Empty, with nothing changed, when the tokens do not fit.
     */
    public Optional<SegmentTable> allocate(int tokens) {
        requirePositiveTokens(tokens, "tokens");
        List<Extent> pieces = plan(tokens, maxExtentsPerRequest, null);
        if (pieces == null) {
            return Optional.empty();
        }
        pieces.forEach(this::take);
        SegmentTable table = new SegmentTable(this, pieces);
        usedTokens += tokens;
        liveTables++;
        liveExtents += table.numExtents();
        tablesByNumExtents[table.numExtents()]++;
        return Optional.of(table);
    }

    /** Whether {@link #allocate(int) allocate(tokens)} would succeed now; changes nothing. */
    public boolean canAllocate(int tokens) {
        requirePositiveTokens(tokens, "tokens");
        return plan(tokens, maxExtentsPerRequest, null) != null;
    }

    /**
     * Adds {@code additionalTokens} slots at the end of {@code table}; the slots it already holds do not move. The
     * free run right after the table's last extent is used first, extending that extent in place; whatever it
     * cannot hold comes from new extents chosen as in {@link #allocate(int)}, as long as the table stays within
     * {@code maxExtentsPerRequest} extents. Returns false, with nothing changed, when the slots cannot be found.
     *
     * @throws IllegalStateException if the table was freed or belongs to another allocator
     */
    public boolean grow(SegmentTable table, int additionalTokens) {
        requireLive(table, "grow");
        requirePositiveTokens(additionalTokens, "additionalTokens");
        Extent after = freeByStart.get(table.lastExtent().end());
        if (after != null && after.length() >= additionalTokens) {
            take(new Extent(after.start(), additionalTokens));
            table.extendLast(additionalTokens);
            usedTokens += additionalTokens;
            return true;
        }
        // Taking the whole run after the table never hurts: any plan that leaves it out has a plan that uses it.
        int inPlaceTokens = after == null ? 0 : after.length();
        List<Extent> pieces = plan(additionalTokens - inPlaceTokens, maxExtentsPerRequest - table.numExtents(), after);
        if (pieces == null) {
            return false;
        }
        tablesByNumExtents[table.numExtents()]--;
        if (after != null) {
            take(after);
            table.extendLast(inPlaceTokens);
        }
        for (Extent piece : pieces) {
            take(piece);
            table.append(piece);
        }
        tablesByNumExtents[table.numExtents()]++;
        liveExtents += pieces.size();
        usedTokens += additionalTokens;
        return true;
    }

    /**
     * Returns the table's slots to the free space, merging each extent with the free extents it touches, and
     * leaves the table empty.
     *
     * @throws IllegalStateException if the table was already freed or belongs to another allocator
     */
    public void free(SegmentTable table) {
        requireLive(table, "free");
        tablesByNumExtents[table.numExtents()]--;
        liveExtents -= table.numExtents();
        liveTables--;
        usedTokens -= table.capacityTokens();
        table.release().forEach(this::addFreeCoalescing);
    }

    public int capacityTokens() {
        return capacityTokens;
    }

    public int maxExtentsPerRequest() {
        return maxExtentsPerRequest;
    }

    public int freeTokens() {
        return capacityTokens - usedTokens;
    }

    public CacheStats stats() {
        int maxExtents = maxExtentsPerRequest;
        while (maxExtents > 0 && tablesByNumExtents[maxExtents] == 0) {
            maxExtents--;
        }
        double meanExtents = liveTables == 0 ? 0 : (double) liveExtents / liveTables;
        int largestFree = freeByLength.isEmpty() ? 0 : freeByLength.last().length();
        return new CacheStats(capacityTokens, usedTokens, freeTokens(), largestFree, freeByStart.size(), liveTables,
                meanExtents, maxExtents);
    }

    /** The free extents in slot order: a snapshot for tests and diagnostics. */
    List<Extent> freeExtents() {
        return List.copyOf(freeByStart.values());
    }

    /**
     * The slots to take for {@code tokens} tokens in at most {@code maxPieces} extents, leaving {@code excluded}
     * (may be null) alone: each piece is the head of a distinct free extent. Null when they do not fit.
     */
    private List<Extent> plan(int tokens, int maxPieces, Extent excluded) {
        if (maxPieces < 1) {
            return null;
        }
        // Extent(0, tokens) sorts before every free extent of length tokens, so ceiling is the best fit.
        Extent fit = freeByLength.ceiling(new Extent(0, tokens));
        if (fit != null && fit.equals(excluded)) {
            fit = freeByLength.higher(fit);
        }
        if (fit != null) {
            return List.of(new Extent(fit.start(), tokens));
        }
        List<Extent> pieces = new ArrayList<>();
        int remaining = tokens;
        for (Extent free : freeByLength.descendingSet()) {
            if (free.equals(excluded)) {
                continue;
            }
            if (pieces.size() == maxPieces) {
                return null;
            }
            int piece = Math.min(free.length(), remaining);
            pieces.add(new Extent(free.start(), piece));
            remaining -= piece;
            if (remaining == 0) {
                return pieces;
            }
        }
        return null;
    }

    /** Removes {@code piece}, the head of a free extent, from the free space; the rest of that extent stays free. */
    private void take(Extent piece) {
        Extent free = freeByStart.get(piece.start());
        removeFree(free);
        if (free.length() > piece.length()) {
            addFree(new Extent(piece.end(), free.length() - piece.length()));
        }
    }

    private void addFreeCoalescing(Extent extent) {
        int start = extent.start();
        int end = extent.end();
        Map.Entry<Integer, Extent> before = freeByStart.floorEntry(start);
        if (before != null && before.getValue().end() == start) {
            removeFree(before.getValue());
            start = before.getValue().start();
        }
        Extent after = freeByStart.get(end);
        if (after != null) {
            removeFree(after);
            end = after.end();
        }
        addFree(new Extent(start, end - start));
    }

    private void addFree(Extent extent) {
        freeByStart.put(extent.start(), extent);
        freeByLength.add(extent);
    }

    private void removeFree(Extent extent) {
        freeByStart.remove(extent.start());
        freeByLength.remove(extent);
    }

    private void requireLive(SegmentTable table, String operation) {
        if (table.owner() != this) {
            throw new IllegalStateException("cannot " + operation + " " + table + ": it belongs to another allocator");
        }
        if (table.isFreed()) {
            throw new IllegalStateException("cannot " + operation + " a table that was already freed");
        }
    }

    private static void requirePositiveTokens(int tokens, String name) {
        if (tokens < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + tokens);
        }
    }
}
