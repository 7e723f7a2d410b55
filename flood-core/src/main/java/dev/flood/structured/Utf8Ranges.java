package dev.flood.structured;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of characters as UTF-8 byte patterns: a list of sequences, each a list of byte ranges, such that a byte
 * string is the UTF-8 encoding of a character of the set iff it matches exactly one sequence. Each character
 * range is split until its first and last code points differ only in bytes that span whole continuation ranges;
 * then byte position k ranges from the first's k-th byte to the last's.
 */
final class Utf8Ranges {

    /** Largest code point of each encoded length 1..4. */
    private static final int[] LENGTH_LIMITS = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};

    private Utf8Ranges() {
    }

    /** Each sequence is {@code [lo0, hi0, lo1, hi1, ...]}: one inclusive byte range per encoded byte. */
    static List<int[]> of(CharClass set) {
        List<int[]> sequences = new ArrayList<>();
        for (int r = 0; r < set.numRanges(); r++) {
            split(set.lo(r), set.hi(r), sequences);
        }
        return sequences;
    }

    private static void split(int lo, int hi, List<int[]> out) {
        for (int limit : LENGTH_LIMITS) {
            if (lo <= limit && hi > limit) {
                split(lo, limit, out);
                split(limit + 1, hi, out);
                return;
            }
        }
        int length = encode(lo).length;
        for (int i = 1; i < length; i++) {
            int low6 = (1 << (6 * i)) - 1;   // the bits of the last i bytes
            if ((lo & ~low6) != (hi & ~low6)) {
                if ((lo & low6) != 0) {
                    split(lo, lo | low6, out);
                    split((lo | low6) + 1, hi, out);
                    return;
                }
                if ((hi & low6) != low6) {
                    split(lo, (hi & ~low6) - 1, out);
                    split(hi & ~low6, hi, out);
                    return;
                }
            }
        }
        byte[] first = encode(lo);
        byte[] last = encode(hi);
        int[] sequence = new int[2 * length];
        for (int k = 0; k < length; k++) {
            sequence[2 * k] = first[k] & 0xFF;
            sequence[2 * k + 1] = last[k] & 0xFF;
        }
        out.add(sequence);
    }

    private static byte[] encode(int codePoint) {
        return new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
    }
}
