package dev.flood.sampling;

import java.util.Arrays;

/**
 * Token id -> count, an open-addressing hash table with linear probing. Memory grows with the number of distinct
 * ids (at most twice that many slots, 8 bytes each), never with the vocabulary: a request over a 150k vocabulary
 * that has seen 300 distinct ids holds 1,024 slots, 8 KiB.
 *
 * <p>Layout: {@code ids[slot]} is a token id or {@link #EMPTY}; {@code counts[slot]} is that id's count, which
 * may be 0 (an id recorded as present but not counted, as a prompt token is). The capacity is a power of two and
 * at most half full, so every probe sequence ends at an empty slot. Callers iterate slots {@code 0 ..
 * capacity()} and skip empty ones; the order is the table's, not the ids'.
 */
final class TokenCounts {

    static final int EMPTY = -1;
    private static final int INITIAL_CAPACITY = 16;

    private int[] ids = newIds(INITIAL_CAPACITY);
    private int[] counts = new int[INITIAL_CAPACITY];
    private int size;

    /** Records {@code tokenId} as present, leaving its count unchanged (0 if new). */
    void addPresent(int tokenId) {
        slotFor(tokenId);
    }

    /** Records {@code tokenId} as present and adds one to its count. */
    void increment(int tokenId) {
        int slot = slotFor(tokenId); // may grow the table, so index the new counts array after it
        counts[slot]++;
    }

    /** The count of {@code tokenId}, 0 if absent. */
    int count(int tokenId) {
        int slot = find(tokenId);
        return slot < 0 ? 0 : counts[slot];
    }

    boolean contains(int tokenId) {
        return find(tokenId) >= 0;
    }

    /** Distinct ids recorded. */
    int size() {
        return size;
    }

    int capacity() {
        return ids.length;
    }

    /** The id in {@code slot}, or {@link #EMPTY}. */
    int idAt(int slot) {
        return ids[slot];
    }

    int countAt(int slot) {
        return counts[slot];
    }

    /** The slot holding {@code tokenId}, inserting it with count 0 if absent. */
    private int slotFor(int tokenId) {
        int slot = find(tokenId);
        if (slot >= 0) {
            return slot;
        }
        if (2 * (size + 1) > ids.length) {
            grow();
        }
        slot = probeStart(tokenId, ids.length);
        while (ids[slot] != EMPTY) {
            slot = (slot + 1) & (ids.length - 1);
        }
        ids[slot] = tokenId;
        size++;
        return slot;
    }

    /** The slot holding {@code tokenId}, or -1. */
    private int find(int tokenId) {
        int mask = ids.length - 1;
        for (int slot = probeStart(tokenId, ids.length); ids[slot] != EMPTY; slot = (slot + 1) & mask) {
            if (ids[slot] == tokenId) {
                return slot;
            }
        }
        return -1;
    }

    private void grow() {
        int[] oldIds = ids;
        int[] oldCounts = counts;
        ids = newIds(2 * oldIds.length);
        counts = new int[2 * oldIds.length];
        int mask = ids.length - 1;
        for (int oldSlot = 0; oldSlot < oldIds.length; oldSlot++) {
            if (oldIds[oldSlot] != EMPTY) {
                int slot = probeStart(oldIds[oldSlot], ids.length);
                while (ids[slot] != EMPTY) {
                    slot = (slot + 1) & mask;
                }
                ids[slot] = oldIds[oldSlot];
                counts[slot] = oldCounts[oldSlot];
            }
        }
    }

    /** Fibonacci hashing: consecutive ids (common in a vocabulary's frequent range) land far apart. */
    private static int probeStart(int tokenId, int capacity) {
        return (int) ((tokenId * 0x9E3779B97F4A7C15L) >>> (64 - Integer.numberOfTrailingZeros(capacity)));
    }

    private static int[] newIds(int capacity) {
        int[] fresh = new int[capacity];
        Arrays.fill(fresh, EMPTY);
        return fresh;
    }
}
