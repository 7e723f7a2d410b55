package dev.flood.structured;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One constraint compiled against one vocabulary: its byte automaton and, per automaton state, the mask of tokens
 * that may come next. Shared by every request with the same constraint (and the same stop tokens), across
 * threads. States that no text as long as the longest token tells apart ({@link ByteDfa#classesUpTo}) share one
 * mask, computed once per such class: a JSON array of 64 objects has 64 copies of each object state, and one
 * mask for each. Masks are computed up front when that is cheap, else by whichever thread first needs one (an
 * intake thread for the start state, the engine thread for the rest), published through an atomic array; equal
 * masks are stored once.
 *
 * <p>A state's mask holds the tokens whose bytes the automaton can read from it, plus the terminators (EOS ids,
 * the request's stop ids) exactly where the state accepts. Every state the automaton keeps can still reach
 * acceptance ({@link ByteDfa}), so an allowed token never leads to a dead end; a mask can still be empty where
 * the vocabulary cannot spell the next byte, which the constraint reports.
 */
final class TokenAutomaton {

    /**
     * Masks are computed up front (on the compiling caller's thread, once per format and engine) when that is at
     * most so many token walks, about a second: then no step waits for one.
     */
    private static final long EAGER_WORK = 200_000_000L;

    private final ByteDfa dfa;
    private final TokenVocabulary vocabulary;
    private final int[] terminators;
    private final int[] maskClass;                             // [numStates] -> index into masks
    private final AtomicReferenceArray<int[]> masks;           // [numMaskClasses], null until computed
    private final Map<MaskKey, int[]> distinct = new ConcurrentHashMap<>();
    private final int[] empty;

    TokenAutomaton(ByteDfa dfa, TokenVocabulary vocabulary, int[] terminators) {
        this.dfa = dfa;
        this.vocabulary = vocabulary;
        this.terminators = terminators.clone();
        this.maskClass = dfa.classesUpTo(vocabulary.maxLength());
        int numMaskClasses = Arrays.stream(maskClass).max().orElse(0) + 1;
        this.masks = new AtomicReferenceArray<>(numMaskClasses);
        this.empty = new int[vocabulary.maskWords];
        if ((long) numMaskClasses * vocabulary.vocabSize <= EAGER_WORK) {
            for (int state = 0; state < dfa.numStates(); state++) {
                mask(state);
            }
        }
    }

    ByteDfa dfa() {
        return dfa;
    }

    TokenVocabulary vocabulary() {
        return vocabulary;
    }

    boolean isTerminator(int tokenId) {
        for (int t : terminators) {
            if (t == tokenId) {
                return true;
            }
        }
        return false;
    }

    /** The allowed-token mask of {@code state}; shared, read-only. */
    int[] mask(int state) {
        int[] mask = masks.get(maskClass[state]);
        if (mask == null) {
            mask = new int[vocabulary.maskWords];
            vocabulary.allowed(dfa, state, mask);
            if (dfa.isAccepting(state)) {
                for (int t : terminators) {
                    mask[t >>> 5] |= 1 << (t & 31);
                }
            }
            mask = distinct.computeIfAbsent(new MaskKey(mask), key -> key.words);
            masks.set(maskClass[state], mask);
        }
        return mask;
    }

    /** Whether {@code mask} allows nothing. */
    boolean isEmpty(int[] mask) {
        return Arrays.equals(mask, empty);
    }

    /** How many distinct masks are stored (for tests and sizing). */
    int numDistinctMasks() {
        return distinct.size();
    }

    private record MaskKey(int[] words) {
        @Override
        public boolean equals(Object o) {
            return o instanceof MaskKey other && Arrays.equals(words, other.words);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(words);
        }
    }
}
