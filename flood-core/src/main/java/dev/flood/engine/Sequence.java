package dev.flood.engine;

import dev.flood.cache.SegmentTable;
import java.util.Arrays;

/**
 * One request inside the engine: its tokens (prompt, then generated), how many of them have keys and values in
 * the cache, and the cache extents that hold them. Touched only by the engine thread once queued.
 *
 * <p>Invariant: {@code numComputed <= numTokens}; tokens {@code numComputed .. numTokens} are what the next
 * steps must feed through the model (a prompt's remainder, or the last sampled token). A preempted request
 * keeps its tokens, drops its cache and starts again from {@code numComputed = 0}.
 */
final class Sequence {

    /** Arrival order; also seeds requests that bring no seed. */
    final long serial;
    final int promptLength;
    /** Cache slots the request needs at most: its prompt plus everything it may generate, capped by the context. */
    final int maxTokens;
    final Work work;

    private int[] tokens;
    private int numTokens;
    private int numComputed;
    private SegmentTable cache;

    Sequence(long serial, int[] promptIds, int maxTokens, Work work) {
        this.serial = serial;
        this.promptLength = promptIds.length;
        this.maxTokens = maxTokens;
        this.work = work;
        this.tokens = Arrays.copyOf(promptIds, Math.max(promptIds.length, Math.min(maxTokens, promptIds.length + 64)));
        this.numTokens = promptIds.length;
    }

    int numTokens() {
        return numTokens;
    }

    int numComputed() {
        return numComputed;
    }

    int token(int index) {
        return tokens[index];
    }

    int[] tokens() {
        return Arrays.copyOf(tokens, numTokens);
    }

    int[] generatedTokens() {
        return Arrays.copyOfRange(tokens, promptLength, numTokens);
    }

    int numGenerated() {
        return numTokens - promptLength;
    }

    /** Tokens the model has yet to read: the rest of the prompt, or the last sampled token. */
    int pendingTokens() {
        return numTokens - numComputed;
    }

    void append(int tokenId) {
        if (numTokens == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.min(Math.max(maxTokens, numTokens + 1), numTokens * 2));
        }
        tokens[numTokens++] = tokenId;
    }

    void advance(int computed) {
        numComputed += computed;
    }

    SegmentTable cache() {
        return cache;
    }

    void attach(SegmentTable table) {
        cache = table;
    }

    /** Forgets the cache (after it was freed): the whole sequence will be recomputed. */
    void detach() {
        cache = null;
        numComputed = 0;
    }
}
