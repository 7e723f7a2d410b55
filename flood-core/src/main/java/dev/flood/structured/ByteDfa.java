package dev.flood.structured;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic automaton over bytes, made from a {@link ByteNfa} by the subset construction, with every state
 * that cannot reach acceptance removed: from any state it keeps, some continuation completes the output, so a
 * token the automaton lets through never leads into a dead end.
 *
 * <p>Bytes fall into classes (byte values no NFA edge tells apart), so a state's moves are
 * {@code numClasses} ints: {@code next[state * numClasses + classOf[b]]}, {@link #DEAD} where the byte is not
 * allowed. State 0 is the start. Immutable after construction; shared by every request with the same constraint.
 */
final class ByteDfa {

    static final int DEAD = -1;

    private final int[] classOf;        // [256] byte -> class
    private final int numClasses;
    private final int[] next;           // [numStates * numClasses]
    private final boolean[] accepting;  // [numStates]
    private final boolean[] finalOnly;  // [numStates]: accepting with no move out: the output is finished

    private ByteDfa(int[] classOf, int numClasses, int[] next, boolean[] accepting) {
        this.classOf = classOf;
        this.numClasses = numClasses;
        this.next = next;
        this.accepting = accepting;
        this.finalOnly = new boolean[accepting.length];
        for (int s = 0; s < accepting.length; s++) {
            boolean moves = false;
            for (int c = 0; c < numClasses && !moves; c++) {
                moves = next[s * numClasses + c] != DEAD;
            }
            finalOnly[s] = accepting[s] && !moves;
        }
    }

    /**
     * Determinizes {@code nfa}, stopping with {@link ConstraintTooLargeException} past {@code maxStates}; an
     * {@link IllegalArgumentException} if the language is empty (no text satisfies the constraint).
     */
    static ByteDfa of(ByteNfa nfa, int maxStates) {
        boolean[] boundaries = nfa.classBoundaries();
        int[] classOf = new int[256];
        int numClasses = 0;
        int[] representative = new int[256];
        for (int b = 0; b < 256; b++) {
            if (boundaries[b]) {
                representative[numClasses++] = b;
            }
            classOf[b] = numClasses - 1;
        }
        Closure closure = new Closure(nfa);
        Map<StateSet, Integer> ids = new HashMap<>();
        List<int[]> sets = new ArrayList<>();
        int[] startSet = closure.of(new int[] {nfa.start}, 1);
        ids.put(new StateSet(startSet), 0);
        sets.add(startSet);
        int[] next = new int[64 * numClasses];
        int[] targets = new int[nfa.numStates()];
        for (int state = 0; state < sets.size(); state++) {
            int[] set = sets.get(state);
            for (int c = 0; c < numClasses; c++) {
                int b = representative[c];
                int numTargets = 0;
                for (int nfaState : set) {
                    int[] edges = nfa.edges(nfaState);
                    for (int e = 0; e < nfa.numEdges(nfaState); e++) {
                        if (edges[3 * e] <= b && b <= edges[3 * e + 1]) {
                            targets[numTargets++] = edges[3 * e + 2];
                        }
                    }
                }
                int target = DEAD;
                if (numTargets > 0) {
                    int[] moved = closure.of(targets, numTargets);
                    StateSet key = new StateSet(moved);
                    Integer id = ids.get(key);
                    if (id == null) {
                        if (sets.size() == maxStates) {
                            throw new ConstraintTooLargeException("its automaton needs more than " + maxStates
                                    + " states");
                        }
                        id = sets.size();
                        ids.put(key, id);
                        sets.add(moved);
                    }
                    target = id;
                }
                if ((state + 1) * numClasses > next.length) {
                    next = Arrays.copyOf(next, next.length * 2);
                }
                next[state * numClasses + c] = target;
            }
        }
        boolean[] accepting = new boolean[sets.size()];
        for (int s = 0; s < sets.size(); s++) {
            accepting[s] = Arrays.binarySearch(sets.get(s), nfa.accept) >= 0;
        }
        return trimmed(classOf, numClasses, Arrays.copyOf(next, sets.size() * numClasses), accepting);
    }

    /** The product automaton: texts both accept. Its states are pairs reached from (0, 0). */
    static ByteDfa intersect(ByteDfa a, ByteDfa b, int maxStates) {
        Map<Long, Integer> ids = new HashMap<>();
        List<long[]> pairs = new ArrayList<>();
        ids.put(0L, 0);
        pairs.add(new long[] {0, 0});
        int[] next = new int[64 * 256];
        for (int state = 0; state < pairs.size(); state++) {
            int sa = (int) pairs.get(state)[0];
            int sb = (int) pairs.get(state)[1];
            for (int x = 0; x < 256; x++) {
                int ta = a.next(sa, x);
                int tb = ta == DEAD ? DEAD : b.next(sb, x);
                int target = DEAD;
                if (tb != DEAD) {
                    long key = ((long) ta << 32) | tb;
                    Integer id = ids.get(key);
                    if (id == null) {
                        if (pairs.size() == maxStates) {
                            throw new ConstraintTooLargeException("its automaton needs more than " + maxStates
                                    + " states");
                        }
                        id = pairs.size();
                        ids.put(key, id);
                        pairs.add(new long[] {ta, tb});
                    }
                    target = id;
                }
                if ((state + 1) * 256 > next.length) {
                    next = Arrays.copyOf(next, next.length * 2);
                }
                next[state * 256 + x] = target;
            }
        }
        boolean[] accepting = new boolean[pairs.size()];
        for (int s = 0; s < pairs.size(); s++) {
            accepting[s] = a.isAccepting((int) pairs.get(s)[0]) && b.isAccepting((int) pairs.get(s)[1]);
        }
        int[] identity = new int[256];
        for (int x = 0; x < 256; x++) {
            identity[x] = x;
        }
        return trimmed(identity, 256, Arrays.copyOf(next, pairs.size() * 256), accepting);
    }

    /** Removes states that cannot reach acceptance and renumbers the rest, start still 0. */
    private static ByteDfa trimmed(int[] classOf, int numClasses, int[] next, boolean[] accepting) {
        int numStates = accepting.length;
        List<List<Integer>> predecessors = new ArrayList<>();
        for (int s = 0; s < numStates; s++) {
            predecessors.add(new ArrayList<>());
        }
        for (int s = 0; s < numStates; s++) {
            for (int c = 0; c < numClasses; c++) {
                int t = next[s * numClasses + c];
                if (t != DEAD) {
                    predecessors.get(t).add(s);
                }
            }
        }
        boolean[] live = new boolean[numStates];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int s = 0; s < numStates; s++) {
            if (accepting[s]) {
                live[s] = true;
                queue.add(s);
            }
        }
        while (!queue.isEmpty()) {
            for (int p : predecessors.get(queue.poll())) {
                if (!live[p]) {
                    live[p] = true;
                    queue.add(p);
                }
            }
        }
        if (!live[0]) {
            throw new IllegalArgumentException("no text satisfies it");
        }
        int[] renumbered = new int[numStates];
        int numLive = 0;
        for (int s = 0; s < numStates; s++) {
            renumbered[s] = live[s] ? numLive++ : DEAD;
        }
        int[] liveNext = new int[numLive * numClasses];
        boolean[] liveAccepting = new boolean[numLive];
        for (int s = 0; s < numStates; s++) {
            if (live[s]) {
                liveAccepting[renumbered[s]] = accepting[s];
                for (int c = 0; c < numClasses; c++) {
                    int t = next[s * numClasses + c];
                    liveNext[renumbered[s] * numClasses + c] = t == DEAD ? DEAD : renumbered[t];
                }
            }
        }
        return new ByteDfa(classOf, numClasses, liveNext, liveAccepting);
    }

    int numStates() {
        return accepting.length;
    }

    /** The state after reading byte {@code b} (0..255) in {@code state}, or {@link #DEAD}. */
    int next(int state, int b) {
        return next[state * numClasses + classOf[b]];
    }

    /** The state after {@code bytes} from {@code state}, or {@link #DEAD}. */
    int walk(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state != DEAD; i++) {
            state = next(state, bytes[i] & 0xFF);
        }
        return state;
    }

    /** Whether the text read so far is a complete output. */
    boolean isAccepting(int state) {
        return accepting[state];
    }

    /** Whether the text read so far is complete and nothing may follow it. */
    boolean isFinal(int state) {
        return finalOnly[state];
    }

    /**
     * Classes of states that no text of at most {@code depth} bytes tells apart: from two states of one class the
     * same byte strings up to that length stay alive, and lead to accepting states alike. Tokens are at most
     * {@code depth} bytes, so states of one class allow the same tokens: their masks are computed once. Moore's
     * partition refinement, stopped after {@code depth} rounds (or earlier, once stable); {@code [numStates]}.
     */
    int[] classesUpTo(int depth) {
        int numStates = accepting.length;
        int[] classes = new int[numStates];
        for (int s = 0; s < numStates; s++) {
            classes[s] = accepting[s] ? 1 : 0;
        }
        int numClassesBefore = -1;
        for (int round = 0; round < depth; round++) {
            Map<StateSet, Integer> ids = new HashMap<>();
            int[] refined = new int[numStates];
            int[] signature = new int[numClasses + 1];
            for (int s = 0; s < numStates; s++) {
                signature[0] = classes[s];
                for (int c = 0; c < numClasses; c++) {
                    int t = next[s * numClasses + c];
                    signature[c + 1] = t == DEAD ? -1 : classes[t];
                }
                refined[s] = ids.computeIfAbsent(new StateSet(signature.clone()), key -> ids.size());
            }
            classes = refined;
            if (ids.size() == numClassesBefore) {
                break;   // stable: further rounds split nothing
            }
            numClassesBefore = ids.size();
        }
        return classes;
    }

    /** Whether the whole text is in the language (for tests). */
    boolean matches(byte[] text) {
        int state = walk(0, text);
        return state != DEAD && accepting[state];
    }

    /** Empty closures of NFA state sets, as sorted arrays; reuses its scratch space between calls. */
    private static final class Closure {
        private final ByteNfa nfa;
        private final int[] mark;
        private final int[] stack;
        private final int[] members;
        private int generation;

        Closure(ByteNfa nfa) {
            this.nfa = nfa;
            this.mark = new int[nfa.numStates()];
            this.stack = new int[nfa.numStates()];
            this.members = new int[nfa.numStates()];
        }

        int[] of(int[] seeds, int numSeeds) {
            generation++;
            int size = 0;
            int top = 0;
            for (int i = 0; i < numSeeds; i++) {
                if (mark[seeds[i]] != generation) {
                    mark[seeds[i]] = generation;
                    stack[top++] = seeds[i];
                }
            }
            while (top > 0) {
                int s = stack[--top];
                members[size++] = s;
                for (int e = 0; e < nfa.numEpsilon(s); e++) {
                    int t = nfa.epsilonTarget(s, e);
                    if (mark[t] != generation) {
                        mark[t] = generation;
                        stack[top++] = t;
                    }
                }
            }
            int[] set = Arrays.copyOf(members, size);
            Arrays.sort(set);
            return set;
        }
    }

    private record StateSet(int[] states) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StateSet other && Arrays.equals(states, other.states);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(states);
        }
    }
}
