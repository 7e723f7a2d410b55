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
 * <p>Every slot is in one of three states: free; owned by one live table; or cached, held by the
 * {@link PrefixCache} as a computed prompt prefix that tables list read-only before their own extents. A table
 * hands the first of its own slots over to the cache with {@link #share} (they stay in the table) and the cache
 * gives them back with {@link #releaseCached} when it evicts them; freeing a table frees only what it owns. This
 * class does not count who reads cached space: the prefix cache releases only what no live table lists.
 *
 * <p>Free space is kept fully coalesced (no two free extents touch) in two sorted views of the same extents: by
 * start, to find the neighbours a freed extent merges with, and by (length, start), for best fit. Cached space is
 * kept coalesced by start too. Allocate, grow, free and share cost O(log n) in the number of free or cached
 * extents, times at most {@code maxExtentsPerRequest} pieces.
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
    /** Maximal runs of cached slots, keyed by start slot. */
    private final TreeMap<Integer, Extent> cachedByStart = new TreeMap<>();
    /** tablesByNumExtents[k]: live tables holding exactly k extents (1 <= k <= maxExtentsPerRequest). */
    private final int[] tablesByNumExtents;
    private int usedTokens;
    private int cachedTokens;
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
        return allocate(List.of(), tokens);
    }

    /**
     * A new table that lists the cached extents {@code shared} first (read-only: a cached prefix, in token order)
     * and then {@code tokens} slots of its own, found as {@link #allocate(int)} finds them within the extents
     * {@code shared} leaves of {@code maxExtentsPerRequest}. Empty, with nothing changed, when they do not fit.
     *
     * @throws IllegalArgumentException if a shared extent is not cached space
     */
    public Optional<SegmentTable> allocate(List<Extent> shared, int tokens) {
        requirePositiveTokens(tokens, "tokens");
        shared.forEach(this::requireCached);
        List<Extent> pieces = plan(tokens, maxExtentsPerRequest - SegmentTable.merged(shared).size(), null);
        if (pieces == null) {
            return Optional.empty();
        }
        pieces.forEach(this::take);
        SegmentTable table = new SegmentTable(this, shared, pieces);
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
     * free run right after the table's last extent is used first, extending that extent in place (if the table owns
     * it); whatever it cannot hold comes from new extents chosen as in {@link #allocate(int)}, as long as the table
     * stays within {@code maxExtentsPerRequest} extents. Returns false, with nothing changed, when the slots cannot
     * be found.
     *
     * @throws IllegalStateException if the table was freed or belongs to another allocator
     */
    public boolean grow(SegmentTable table, int additionalTokens) {
        requireLive(table, "grow");
        requirePositiveTokens(additionalTokens, "additionalTokens");
        Extent after = table.ownsExtents() ? freeByStart.get(table.lastExtent().end()) : null;
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
     * Returns the slots the table owns to the free space, merging each extent with the free extents it touches,
     * and leaves the table empty. Its shared extents stay cached.
     *
     * @throws IllegalStateException if the table was already freed or belongs to another allocator
     */
    public void free(SegmentTable table) {
        requireLive(table, "free");
        tablesByNumExtents[table.numExtents()]--;
        liveExtents -= table.numExtents();
        liveTables--;
        usedTokens -= table.capacityTokens() - table.sharedTokens();
        table.release().forEach(this::addFreeCoalescing);
    }

    /**
     * Hands the first {@code tokens} slots the table owns (those right after its shared ones) over to the cache:
     * the table keeps listing them, read-only, and no longer owns them. Returns them in token order; empty, with
     * nothing changed, when the table would need more than {@code maxExtentsPerRequest} extents (an extent the
     * boundary cuts becomes two).
     *
     * @throws IllegalArgumentException if the table owns fewer than {@code tokens} slots
     * @throws IllegalStateException    if the table was freed or belongs to another allocator
     */
    public Optional<List<Extent>> share(SegmentTable table, int tokens) {
        requireLive(table, "share slots of");
        requirePositiveTokens(tokens, "tokens");
        if (tokens > table.capacityTokens() - table.sharedTokens()) {
            throw new IllegalArgumentException("cannot share " + tokens + " slots of " + table + ": it owns only "
                    + (table.capacityTokens() - table.sharedTokens()));
        }
        List<Extent> pieces = new ArrayList<>();
        List<Extent> owned = new ArrayList<>(table.ownedExtents());
        int remaining = tokens;
        while (remaining > 0) {
            Extent first = owned.remove(0);
            int piece = Math.min(first.length(), remaining);
            pieces.add(new Extent(first.start(), piece));
            if (piece < first.length()) {
                owned.add(0, new Extent(first.start() + piece, first.length() - piece));
            }
            remaining -= piece;
        }
        List<Extent> shared = new ArrayList<>(table.extents().subList(0, table.numSharedExtents()));
        shared.addAll(pieces);
        int numExtents = SegmentTable.merged(shared).size() + owned.size();
        if (numExtents > maxExtentsPerRequest) {
            return Optional.empty();
        }
        tablesByNumExtents[table.numExtents()]--;
        liveExtents += numExtents - table.numExtents();
        table.relayout(shared, owned);
        tablesByNumExtents[numExtents]++;
        usedTokens -= tokens;
        cachedTokens += tokens;
        pieces.forEach(this::addCachedCoalescing);
        return Optional.of(List.copyOf(pieces));
    }

    /**
     * Returns cached slots to the free space (the prefix cache evicted them; no live table lists them).
     *
     * @throws IllegalArgumentException if some slot of the extent is not cached
     */
    public void releaseCached(Extent extent) {
        Extent run = requireCached(extent);
        cachedByStart.remove(run.start());
        if (run.start() < extent.start()) {
            cachedByStart.put(run.start(), new Extent(run.start(), extent.start() - run.start()));
        }
        if (extent.end() < run.end()) {
            cachedByStart.put(extent.end(), new Extent(extent.end(), run.end() - extent.end()));
        }
        cachedTokens -= extent.length();
        addFreeCoalescing(extent);
    }

    public int capacityTokens() {
        return capacityTokens;
    }

    public int maxExtentsPerRequest() {
        return maxExtentsPerRequest;
    }

    public int freeTokens() {
        return capacityTokens - usedTokens - cachedTokens;
    }

    /** Slots held by the prefix cache. */
    public int cachedTokens() {
        return cachedTokens;
    }

    public CacheStats stats() {
        int maxExtents = maxExtentsPerRequest;
        while (maxExtents > 0 && tablesByNumExtents[maxExtents] == 0) {
            maxExtents--;
        }
        double meanExtents = liveTables == 0 ? 0 : (double) liveExtents / liveTables;
        int largestFree = freeByLength.isEmpty() ? 0 : freeByLength.last().length();
        return new CacheStats(capacityTokens, usedTokens, cachedTokens, freeTokens(), largestFree,
                freeByStart.size(), cachedByStart.size(), liveTables, meanExtents, maxExtents);
    }

    /** The free extents in slot order: a snapshot for tests and diagnostics. */
    List<Extent> freeExtents() {
        return List.copyOf(freeByStart.values());
    }

    /** The maximal runs of cached slots in slot order: a snapshot for tests and diagnostics. */
    List<Extent> cachedExtents() {
        return List.copyOf(cachedByStart.values());
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

    private void addCachedCoalescing(Extent extent) {
        int start = extent.start();
        int end = extent.end();
        Map.Entry<Integer, Extent> before = cachedByStart.floorEntry(start);
        if (before != null && before.getValue().end() == start) {
            cachedByStart.remove(before.getKey());
            start = before.getValue().start();
        }
        Extent after = cachedByStart.remove(end);
        if (after != null) {
            end = after.end();
        }
        cachedByStart.put(start, new Extent(start, end - start));
    }

    /** The cached run that holds all of {@code extent}. */
    private Extent requireCached(Extent extent) {
        Map.Entry<Integer, Extent> run = cachedByStart.floorEntry(extent.start());
        if (run == null || run.getValue().end() < extent.end()) {
            throw new IllegalArgumentException("extent " + extent + " is not cached space");
        }
        return run.getValue();
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
