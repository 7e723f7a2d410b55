package dev.flood.structured;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One constraint compiled against one vocabulary: its byte automaton and, per automaton state, the mask of tokens
 * that may come next. Shared by every request with the same constraint (and the same stop tokens), across
 * threads: masks are computed once per state, by whichever thread first needs one (an intake thread for the start
 * state, the engine thread for the rest), and published through an atomic array; equal masks are stored once.
 *
 * <p>A state's mask holds the tokens whose bytes the automaton can read from it, plus the terminators (EOS ids,
 * the request's stop ids) exactly where the state accepts. Every state the automaton keeps can still reach
 * acceptance ({@link ByteDfa}), so an allowed token never leads to a dead end; a mask can still be empty where
 * the vocabulary cannot spell the next byte, which the constraint reports.
 */
final class TokenAutomaton {

    /** States whose masks are computed up front when this is at most so many token walks (about 0.1 s). */
    private static final long EAGER_WORK = 20_000_000L;

    private final ByteDfa dfa;
    private final TokenVocabulary vocabulary;
    private final int[] terminators;
    private final AtomicReferenceArray<int[]> masks;           // [numStates], null until computed
    private final Map<MaskKey, int[]> distinct = new ConcurrentHashMap<>();
    private final int[] empty;

    TokenAutomaton(ByteDfa dfa, TokenVocabulary vocabulary, int[] terminators) {
        this.dfa = dfa;
        this.vocabulary = vocabulary;
        this.terminators = terminators.clone();
        this.masks = new AtomicReferenceArray<>(dfa.numStates());
        this.empty = new int[vocabulary.maskWords];
        if ((long) dfa.numStates() * vocabulary.vocabSize <= EAGER_WORK) {
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
        int[] mask = masks.get(state);
        if (mask == null) {
            mask = new int[vocabulary.maskWords];
            vocabulary.allowed(dfa, state, mask);
            if (dfa.isAccepting(state)) {
                for (int t : terminators) {
                    mask[t >>> 5] |= 1 << (t & 31);
                }
            }
            mask = distinct.computeIfAbsent(new MaskKey(mask), key -> key.words);
            masks.set(state, mask);
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
