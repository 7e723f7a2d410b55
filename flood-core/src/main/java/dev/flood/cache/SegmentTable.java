package dev.flood.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One request's share of the segment KV cache: a few extents that, concatenated in order, hold the request's tokens.
 * Token i of the request lives in slot {@link #slot(int) slot(i)}. Growing appends slots at the end, and handing
 * slots to the prefix cache ({@link SegmentAllocator#share}) changes only who owns them, so a token's slot never
 * changes while the table is live.
 *
 * <p>Layout: the first {@link #sharedTokens()} tokens lie in {@link #numSharedExtents()} read-only extents of
 * cached space (a cached prompt prefix, which other tables may list too, held by the {@link PrefixCache}), merged
 * wherever one continues the next; the table owns the extents after them. The boundary always falls between two
 * extents. No step writes a shared slot.
 *
 * <p>Only the {@link SegmentAllocator} that created a table changes it; after {@link SegmentAllocator#free} the
 * table holds nothing. Not thread-safe: it lives on the engine's single thread, like its allocator.
 */
public final class SegmentTable {

    private final SegmentAllocator owner;
    private final List<Extent> extents = new ArrayList<>();
    /** firstTokens[e]: index of the first request token held by extents.get(e); ascending, for binary search. */
    private int[] firstTokens = new int[2];
    private int capacityTokens;
    private int numSharedExtents;
    private int sharedTokens;
    private boolean freed;

    /** A table listing the cached extents {@code shared} first, then the owned extents {@code owned}. */
    SegmentTable(SegmentAllocator owner, List<Extent> shared, List<Extent> owned) {
        this.owner = owner;
        relayout(shared, owned);
    }

    /** {@code extents} with every extent that continues the one before it merged into it. */
    static List<Extent> merged(List<Extent> extents) {
        List<Extent> merged = new ArrayList<>(extents.size());
        for (Extent extent : extents) {
            Extent last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && last.end() == extent.start()) {
                merged.set(merged.size() - 1, new Extent(last.start(), last.length() + extent.length()));
            } else {
                merged.add(extent);
            }
        }
        return merged;
    }

    /** Slots held, i.e. how many of the request's tokens fit. */
    public int capacityTokens() {
        return capacityTokens;
    }

    /** The extents in token order (read-only view); empty once freed. */
    public List<Extent> extents() {
        return Collections.unmodifiableList(extents);
    }

    public int numExtents() {
        return extents.size();
    }

    /** Tokens at the start of the table held in read-only cached space (see the class comment). */
    public int sharedTokens() {
        return sharedTokens;
    }

    /** Extents at the start of the table that hold the {@link #sharedTokens()}. */
    public int numSharedExtents() {
        return numSharedExtents;
    }

    /** The slot that holds token {@code tokenIndex} of the request. */
    public int slot(int tokenIndex) {
        if (tokenIndex < 0 || tokenIndex >= capacityTokens) {
            throw new IndexOutOfBoundsException(
                    "token index " + tokenIndex + " outside the table's " + capacityTokens + " slots");
        }
        int e = extentOf(tokenIndex);
        return extents.get(e).start() + (tokenIndex - firstTokens[e]);
    }

    /**
     * Writes the slots of tokens {@code [fromToken, fromToken + count)} to {@code out[outOffset ..]}, in token
     * order: the per-step slot mapping that tells each layer where to store and read the tokens' keys and values.
     */
    public void slots(int fromToken, int count, int[] out, int outOffset) {
        if (count < 0 || fromToken < 0 || (long) fromToken + count > capacityTokens) {
            throw new IndexOutOfBoundsException("token range [" + fromToken + ", " + fromToken + " + " + count
                    + ") outside the table's " + capacityTokens + " slots");
        }
        if (outOffset < 0 || (long) outOffset + count > out.length) {
            throw new IndexOutOfBoundsException("output range [" + outOffset + ", " + outOffset + " + " + count
                    + ") outside an array of length " + out.length);
        }
        int written = 0;
        int e = count == 0 ? 0 : extentOf(fromToken);
        while (written < count) {
            Extent extent = extents.get(e);
            int offsetInExtent = fromToken + written - firstTokens[e];
            int run = Math.min(extent.length() - offsetInExtent, count - written);
            for (int i = 0; i < run; i++) {
                out[outOffset + written + i] = extent.start() + offsetInExtent + i;
            }
            written += run;
            e++;
        }
    }

    @Override
    public String toString() {
        return "SegmentTable" + extents;
    }

    SegmentAllocator owner() {
        return owner;
    }

    boolean isFreed() {
        return freed;
    }

    Extent lastExtent() {
        return extents.get(extents.size() - 1);
    }

    /** Whether the table owns any extent (the last one then is its own). */
    boolean ownsExtents() {
        return numSharedExtents < extents.size();
    }

    /** The extents the table owns, in token order. */
    List<Extent> ownedExtents() {
        return extents.subList(numSharedExtents, extents.size());
    }

    /**
     * Sets the extents to {@code shared} (read-only, holding the first tokens; merged here) followed by
     * {@code owned}. On a live table they must hold the same slots in the same token order: the allocator only
     * moves the shared boundary.
     */
    void relayout(List<Extent> shared, List<Extent> owned) {
        extents.clear();
        capacityTokens = 0;
        merged(shared).forEach(this::append);
        numSharedExtents = extents.size();
        sharedTokens = capacityTokens;
        owned.forEach(this::append);
    }

    void append(Extent extent) {
        if (extents.size() == firstTokens.length) {
            firstTokens = Arrays.copyOf(firstTokens, 2 * firstTokens.length);
        }
        firstTokens[extents.size()] = capacityTokens;
        extents.add(extent);
        capacityTokens += extent.length();
    }

    /** Lengthens the last extent by {@code tokens} slots; the caller has taken the free slots right after it. */
    void extendLast(int tokens) {
        Extent last = lastExtent();
        extents.set(extents.size() - 1, new Extent(last.start(), last.length() + tokens));
        capacityTokens += tokens;
    }

    /** Empties the table and returns the extents it owned (its shared extents stay with the cache). */
    List<Extent> release() {
        List<Extent> released = List.copyOf(ownedExtents());
        extents.clear();
        capacityTokens = 0;
        numSharedExtents = 0;
        sharedTokens = 0;
        freed = true;
        return released;
    }

    /** Index of the extent holding token {@code tokenIndex}, which must be within capacity. */
    private int extentOf(int tokenIndex) {
        int found = Arrays.binarySearch(firstTokens, 0, extents.size(), tokenIndex);
        return found >= 0 ? found : -found - 2;
    }
}
