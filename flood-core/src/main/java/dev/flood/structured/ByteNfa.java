package dev.flood.structured;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Thompson's construction of a {@link Regular} over UTF-8 bytes: states with empty moves and byte-range moves,
 * one start and one accepting state. Built fresh per compilation and then only read by {@link ByteDfa}.
 * Construction stops with {@link ConstraintTooLargeException} past {@code maxStates}, so that no input can make
 * it use unbounded memory or time.
 */
final class ByteNfa {

    final int start;
    final int accept;
    private int numStates;
    private int[][] epsilon = new int[64][];        // [state] -> targets, null when none
    private int[][] edges = new int[64][];          // [state] -> {lo, hi, target, lo, hi, target, ...}
    private int[] numEpsilon = new int[64];
    private int[] numEdges = new int[64];           // triples
    private final int maxStates;

    private ByteNfa(Regular regular, int maxStates) {
        this.maxStates = maxStates;
        int[] fragment = build(regular);
        start = fragment[0];
        accept = fragment[1];
    }

    static ByteNfa of(Regular regular, int maxStates) {
        long estimate = Regular.size(regular);
        if (estimate > maxStates) {
            throw new ConstraintTooLargeException("it needs about " + estimate + " automaton states, more than the "
                    + maxStates + " allowed (long repetitions or length bounds multiply states)");
        }
        return new ByteNfa(regular, maxStates);
    }

    int numStates() {
        return numStates;
    }

    int numEpsilon(int state) {
        return numEpsilon[state];
    }

    int epsilonTarget(int state, int i) {
        return epsilon[state][i];
    }

    int numEdges(int state) {
        return numEdges[state];
    }

    /** Edge {@code i} of the state: {@code {lo, hi, target}} packed at {@code edges()[3i..3i+2]}. */
    int[] edges(int state) {
        return edges[state];
    }

    /** Builds a fragment; returns {start, end}. */
    private int[] build(Regular r) {
        if (r instanceof Regular.Text t) {
            return chain(t.text().getBytes(StandardCharsets.UTF_8));
        }
        if (r instanceof Regular.Chars c) {
            int begin = newState();
            int end = newState();
            for (int[] sequence : Utf8Ranges.of(c.set())) {
                int from = begin;
                for (int k = 0; k < sequence.length / 2; k++) {
                    int to = k == sequence.length / 2 - 1 ? end : newState();
                    addEdge(from, sequence[2 * k], sequence[2 * k + 1], to);
                    from = to;
                }
            }
            return new int[] {begin, end};
        }
        if (r instanceof Regular.Concat c) {
            int begin = newState();
            int end = begin;
            for (Regular part : c.parts()) {
                int[] f = build(part);
                addEpsilon(end, f[0]);
                end = f[1];
            }
            return new int[] {begin, end};
        }
        if (r instanceof Regular.Union u) {
            int begin = newState();
            int end = newState();
            for (Regular option : u.options()) {
                int[] f = build(option);
                addEpsilon(begin, f[0]);
                addEpsilon(f[1], end);
            }
            return new int[] {begin, end};
        }
        if (r instanceof Regular.Members m) {
            return members(m);
        }
        if (r instanceof Regular.Separated l) {
            return separated(l);
        }
        if (r instanceof Regular.Intersect i) {
            return embed(ByteDfa.intersect(ByteDfa.of(ByteNfa.of(i.left(), maxStates), maxStates),
                    ByteDfa.of(ByteNfa.of(i.right(), maxStates), maxStates), maxStates));
        }
        Regular.Repeat rep = (Regular.Repeat) r;
        int begin = newState();
        int end = begin;
        for (int i = 0; i < rep.min(); i++) {
            int[] f = build(rep.body());
            addEpsilon(end, f[0]);
            end = f[1];
        }
        if (rep.max() == Regular.UNBOUNDED) {
            int[] f = build(rep.body());     // end -> body -> end, or skip
            int after = newState();
            addEpsilon(end, f[0]);
            addEpsilon(f[1], f[0]);
            addEpsilon(f[1], after);
            addEpsilon(end, after);
            return new int[] {begin, after};
        }
        int after = newState();
        addEpsilon(end, after);
        for (int i = rep.min(); i < rep.max(); i++) {   // each further copy may be skipped to the end
            int[] f = build(rep.body());
            addEpsilon(end, f[0]);
            addEpsilon(f[1], after);
            end = f[1];
        }
        return new int[] {begin, after};
    }

    /**
     * Two lanes of states: {@code none[i]} (no item present among the first i) and {@code some[i]} (at least
     * one). Item i is entered from {@code none[i]} bare and from {@code some[i]} after the separator; an
     * optional item may also be skipped within its lane.
     */
    private int[] members(Regular.Members m) {
        int n = m.items().size();
        int[] none = new int[n + 1];
        int[] some = new int[n + 1];
        for (int i = 0; i <= n; i++) {
            none[i] = newState();
            some[i] = newState();
        }
        for (int i = 0; i < n; i++) {
            int[] bare = build(m.items().get(i));
            addEpsilon(none[i], bare[0]);
            addEpsilon(bare[1], some[i + 1]);
            int[] separator = build(m.separator());
            int[] after = build(m.items().get(i));
            addEpsilon(some[i], separator[0]);
            addEpsilon(separator[1], after[0]);
            addEpsilon(after[1], some[i + 1]);
            if (!m.required().get(i)) {
                addEpsilon(none[i], none[i + 1]);
                addEpsilon(some[i], some[i + 1]);
            }
        }
        int end = newState();
        addEpsilon(none[n], end);
        addEpsilon(some[n], end);
        return new int[] {none[0], end};
    }

    private int[] separated(Regular.Separated l) {
        if (l.max() == 0) {
            return build(Regular.seq());
        }
        if (l.max() == Regular.UNBOUNDED && l.min() <= 1) {
            int begin = newState();
            int end = newState();
            int[] item = build(l.item());
            int[] separator = build(l.separator());
            addEpsilon(begin, item[0]);
            addEpsilon(item[1], end);
            addEpsilon(item[1], separator[0]);
            addEpsilon(separator[1], item[0]);
            if (l.min() == 0) {
                addEpsilon(begin, end);
            }
            return new int[] {begin, end};
        }
        Regular more = new Regular.Repeat(Regular.seq(l.separator(), l.item()), Math.max(0, l.min() - 1),
                l.max() == Regular.UNBOUNDED ? Regular.UNBOUNDED : l.max() - 1);
        Regular some = Regular.seq(l.item(), more);
        return build(l.min() == 0 ? Regular.optional(some) : some);
    }

    /** A DFA as a fragment: its states, byte moves grouped into ranges, accepting states joined to the end. */
    private int[] embed(ByteDfa dfa) {
        int base = numStates;
        for (int s = 0; s < dfa.numStates(); s++) {
            newState();
        }
        int end = newState();
        for (int s = 0; s < dfa.numStates(); s++) {
            int b = 0;
            while (b < 256) {
                int target = dfa.next(s, b);
                int last = b;
                while (last + 1 < 256 && dfa.next(s, last + 1) == target) {
                    last++;
                }
                if (target != ByteDfa.DEAD) {
                    addEdge(base + s, b, last, base + target);
                }
                b = last + 1;
            }
            if (dfa.isAccepting(s)) {
                addEpsilon(base + s, end);
            }
        }
        return new int[] {base, end};
    }

    private int[] chain(byte[] bytes) {
        int begin = newState();
        int at = begin;
        for (byte b : bytes) {
            int next = newState();
            addEdge(at, b & 0xFF, b & 0xFF, next);
            at = next;
        }
        return new int[] {begin, at};
    }

    private int newState() {
        if (numStates == maxStates) {
            throw new ConstraintTooLargeException("its automaton needs more than " + maxStates + " states");
        }
        if (numStates == epsilon.length) {
            int capacity = Math.min(maxStates, numStates * 2);
            epsilon = Arrays.copyOf(epsilon, capacity);
            edges = Arrays.copyOf(edges, capacity);
            numEpsilon = Arrays.copyOf(numEpsilon, capacity);
            numEdges = Arrays.copyOf(numEdges, capacity);
        }
        return numStates++;
    }

    private void addEpsilon(int from, int to) {
        if (epsilon[from] == null) {
            epsilon[from] = new int[2];
        } else if (numEpsilon[from] == epsilon[from].length) {
            epsilon[from] = Arrays.copyOf(epsilon[from], epsilon[from].length * 2);
        }
        epsilon[from][numEpsilon[from]++] = to;
    }

    private void addEdge(int from, int lo, int hi, int to) {
        if (edges[from] == null) {
            edges[from] = new int[3];
        } else if (3 * numEdges[from] == edges[from].length) {
            edges[from] = Arrays.copyOf(edges[from], edges[from].length * 2);
        }
        int at = 3 * numEdges[from]++;
        edges[from][at] = lo;
        edges[from][at + 1] = hi;
        edges[from][at + 2] = to;
    }

    /** The byte values at which some edge's range starts or ends: the boundaries of the DFA's byte classes. */
    boolean[] classBoundaries() {
        boolean[] starts = new boolean[257];   // starts[b]: a class begins at byte b
        starts[0] = true;
        for (int s = 0; s < numStates; s++) {
            for (int e = 0; e < numEdges[s]; e++) {
                starts[edges[s][3 * e]] = true;
                starts[edges[s][3 * e + 1] + 1] = true;
            }
        }
        return starts;
    }
}
