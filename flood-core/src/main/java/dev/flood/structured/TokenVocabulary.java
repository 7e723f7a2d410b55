package dev.flood.structured;

import dev.flood.tokenizer.TokenBytes;
import java.util.Arrays;

/**
 * The model's tokens as byte strings, sorted, for walking all of them through an automaton at once: each token
 * shares a prefix with the one before it ({@link #sharedPrefix}), so the walk resumes from where that prefix
 * left the automaton instead of starting over, and a dead prefix skips every token that extends it. This is a
 * trie over the token bytes, flattened into sorted order. Immutable; one per engine.
 */
final class TokenVocabulary {

    /** Width of a logits row (the model's vocabulary); mask words cover it. */
    final int vocabSize;
    final int maskWords;
    private final byte[][] bytes;        // [vocabSize], null: never allowed in constrained text
    private final int[] sortedIds;       // token ids with non-empty bytes, bytes ascending (unsigned)
    private final int[] sharedPrefix;    // [i]: bytes sortedIds[i] shares with sortedIds[i - 1]; 0 for i = 0
    private final int maxLength;

    TokenVocabulary(TokenBytes tokens, int vocabSize) {
        this.vocabSize = vocabSize;
        this.maskWords = (vocabSize + 31) / 32;
        this.bytes = new byte[vocabSize][];
        int count = 0;
        int longest = 0;
        for (int id = 0; id < vocabSize; id++) {
            byte[] b = tokens.bytes(id);
            if (b != null && b.length > 0) {
                bytes[id] = b;
                count++;
                longest = Math.max(longest, b.length);
            }
        }
        Integer[] order = new Integer[count];
        for (int id = 0, k = 0; id < vocabSize; id++) {
            if (bytes[id] != null) {
                order[k++] = id;
            }
        }
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(bytes[a], bytes[b]));
        sortedIds = new int[count];
        sharedPrefix = new int[count];
        for (int i = 0; i < count; i++) {
            sortedIds[i] = order[i];
            if (i > 0) {
                byte[] previous = bytes[order[i - 1]];
                byte[] current = bytes[order[i]];
                int mismatch = Arrays.mismatch(previous, current);
                sharedPrefix[i] = mismatch < 0 ? current.length : mismatch;
            }
        }
        maxLength = longest;
    }

    /** The longest token, in bytes. */
    int maxLength() {
        return maxLength;
    }

    /** The token's bytes, or null if it never appears in constrained text (special, unnamed, empty). */
    byte[] bytes(int id) {
        return id >= 0 && id < vocabSize ? bytes[id] : null;
    }

    /**
     * Sets in {@code mask} the bit of every token whose bytes the automaton can read from {@code state} without
     * dying; returns how many.
     */
    int allowed(ByteDfa dfa, int state, int[] mask) {
        int[] stateAt = new int[maxLength + 1];   // stateAt[d]: the state after the current token's first d bytes
        stateAt[0] = state;
        int valid = 0;          // stateAt[0..valid] hold for the previous token's prefix
        int deadAt = -1;        // the previous token died reading its byte deadAt (its prefix deadAt+1 is dead)
        int count = 0;
        for (int i = 0; i < sortedIds.length; i++) {
            int id = sortedIds[i];
            byte[] b = bytes[id];
            int shared = sharedPrefix[i];
            if (deadAt >= 0 && shared > deadAt) {
                continue;       // extends the same dead prefix
            }
            int depth = Math.min(shared, valid);
            deadAt = -1;
            for (; depth < b.length; depth++) {
                int next = dfa.next(stateAt[depth], b[depth] & 0xFF);
                if (next == ByteDfa.DEAD) {
                    deadAt = depth;
                    break;
                }
                stateAt[depth + 1] = next;
            }
            valid = depth;
            if (deadAt < 0) {
                mask[id >>> 5] |= 1 << (id & 31);
                count++;
            }
        }
        return count;
    }
}
