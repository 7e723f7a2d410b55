package dev.flood.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of Unicode scalar values (code points 0..0x10FFFF without the surrogates U+D800..U+DFFF, the characters
 * UTF-8 can encode), as sorted, disjoint, non-adjacent inclusive ranges. Immutable.
 */
final class CharClass {

    static final int MAX = 0x10FFFF;
    private static final CharClass SURROGATES = new CharClass(new int[] {0xD800, 0xDFFF});
    static final CharClass NONE = new CharClass(new int[0]);
    static final CharClass ANY = range(0, MAX);

    /** [lo0, hi0, lo1, hi1, ...], sorted, disjoint, with a gap between consecutive ranges. */
    private final int[] bounds;

    private CharClass(int[] bounds) {
        this.bounds = bounds;
    }

    static CharClass of(int codePoint) {
        return range(codePoint, codePoint);
    }

    /** [lo, hi] less any surrogates in it. */
    static CharClass range(int lo, int hi) {
        if (lo < 0 || hi > MAX || lo > hi) {
            throw new IllegalArgumentException(String.format("bad character range U+%04X-U+%04X", lo, hi));
        }
        return new CharClass(new int[] {lo, hi}).minus(SURROGATES);
    }

    static CharClass ofChars(String chars) {
        CharClass set = NONE;
        for (int c : chars.codePoints().toArray()) {
            set = set.union(of(c));
        }
        return set;
    }

    int numRanges() {
        return bounds.length / 2;
    }

    int lo(int range) {
        return bounds[2 * range];
    }

    int hi(int range) {
        return bounds[2 * range + 1];
    }

    boolean isEmpty() {
        return bounds.length == 0;
    }

    boolean contains(int c) {
        for (int r = 0; r < numRanges(); r++) {
            if (c >= lo(r) && c <= hi(r)) {
                return true;
            }
        }
        return false;
    }

    CharClass union(CharClass other) {
        List<int[]> ranges = new ArrayList<>();
        for (CharClass set : List.of(this, other)) {
            for (int r = 0; r < set.numRanges(); r++) {
                ranges.add(new int[] {set.lo(r), set.hi(r)});
            }
        }
        ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] range : ranges) {
            int[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && range[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], range[1]);
            } else {
                merged.add(range.clone());
            }
        }
        int[] out = new int[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            out[2 * i] = merged.get(i)[0];
            out[2 * i + 1] = merged.get(i)[1];
        }
        return new CharClass(out);
    }

    /** Every scalar value not in this set. */
    CharClass complement() {
        return complementRaw().minus(SURROGATES);
    }

    CharClass minus(CharClass other) {
        return intersect(other.complementRaw());
    }

    CharClass intersect(CharClass other) {
        List<Integer> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < numRanges() && j < other.numRanges()) {
            int lo = Math.max(lo(i), other.lo(j));
            int hi = Math.min(hi(i), other.hi(j));
            if (lo <= hi) {
                out.add(lo);
                out.add(hi);
            }
            if (hi(i) < other.hi(j)) {
                i++;
            } else {
                j++;
            }
        }
        return new CharClass(out.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The complement over all of 0..MAX, surrogates included (for set algebra). */
    private CharClass complementRaw() {
        List<Integer> out = new ArrayList<>();
        int next = 0;
        for (int r = 0; r < numRanges(); r++) {
            if (lo(r) > next) {
                out.add(next);
                out.add(lo(r) - 1);
            }
            next = hi(r) + 1;
        }
        if (next <= MAX) {
            out.add(next);
            out.add(MAX);
        }
        return new CharClass(out.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Adds the other case of every letter, for case-insensitive regexes (simple case folding). */
    CharClass caseInsensitive() {
        CharClass out = this;
        for (int r = 0; r < numRanges(); r++) {
            if ((long) hi(r) - lo(r) > 0x3000) {
                continue;   // a wide range: scanning it costs more than it adds; its letters' cases are mostly in it
            }
            for (int c = lo(r); c <= hi(r); c++) {
                int upper = Character.toUpperCase(c);
                int lower = Character.toLowerCase(c);
                if (upper != c && !out.contains(upper)) {
                    out = out.union(of(upper));
                }
                if (lower != c && !out.contains(lower)) {
                    out = out.union(of(lower));
                }
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharClass other && Arrays.equals(bounds, other.bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("[");
        for (int r = 0; r < numRanges(); r++) {
            out.append(String.format(lo(r) == hi(r) ? "U+%04X " : "U+%04X-U+%04X ", lo(r), hi(r)));
        }
        return out.toString().trim() + "]";
    }
}
