package dev.flood.backend;

import java.util.Arrays;
import java.util.Objects;

/**
 * Everything one forward pass needs to know about the step it runs: the scheduled tokens of every request,
 * flattened (prefill chunks and decode tokens alike), and where each request's keys and values live in the
 * segment KV cache. Built by the scheduler, read by every layer; nothing about a step is kept anywhere else.
 *
 * <p>Request {@code r} owns query rows {@code cuSeqlensQ[r] .. cuSeqlensQ[r+1]}. Its context after this step is
 * {@code contextLens[r]} tokens (those already cached plus its new ones), so its query token {@code i} sits at
 * position {@code contextLens[r] - queryLen + i} and attends to context tokens {@code 0 ..} that position
 * (causal, aligned bottom-right). Context token {@code j} is stored at the slot found by walking the request's
 * extents {@code cuExtents[r] .. cuExtents[r+1]} in order.
 *
 * <p>Deferred tokens: with steps in flight, a decoding request's next input is the token the previous step is
 * still drawing. Such a row names where that token is, {@code deferredTokens[t] = j}: the token drawn for sample
 * row {@code j} ({@link OutputSpec}) of the previous step run on this backend; {@link Backend#embed} reads it
 * there (on the device, without a round trip through the host) and ignores {@code tokenIds[t]}. Every other row
 * has -1 and its id in {@code tokenIds}.
 *
 * @param tokenIds      [numTokens] token ids
 * @param positions     [numTokens] positions in their request
 * @param slotMapping   [numTokens] cache slot each new token's keys and values are written to
 * @param cuSeqlensQ    [numSeqs + 1] prefix sums of query lengths
 * @param contextLens   [numSeqs] tokens in each request's context after this step
 * @param cuExtents     [numSeqs + 1] prefix sums of each request's extent counts
 * @param extentStarts  [numExtents] first slot of each extent
 * @param extentLengths [numExtents] slots in each extent
 * @param logitRows     rows (indices into the tokens) whose next-token logits are needed, ascending
 * @param deferredTokens [numTokens] -1, or the previous step's sample row whose token this row feeds
 */
public record ForwardBatch(int[] tokenIds, int[] positions, int[] slotMapping, int[] cuSeqlensQ, int[] contextLens,
                           int[] cuExtents, int[] extentStarts, int[] extentLengths, int[] logitRows,
                           int[] deferredTokens) {

    public ForwardBatch {
        Objects.requireNonNull(tokenIds, "tokenIds");
        int numTokens = tokenIds.length;
        int numSeqs = contextLens.length;
        if (positions.length != numTokens || slotMapping.length != numTokens || deferredTokens.length != numTokens) {
            throw new IllegalArgumentException("positions, slotMapping and deferredTokens need one entry per token");
        }
        if (cuSeqlensQ.length != numSeqs + 1 || cuSeqlensQ[numSeqs] != numTokens) {
            throw new IllegalArgumentException("cuSeqlensQ must have numSeqs + 1 entries ending at numTokens");
        }
        if (cuExtents.length != numSeqs + 1 || cuExtents[numSeqs] != extentStarts.length
                || extentStarts.length != extentLengths.length) {
            throw new IllegalArgumentException("cuExtents must have numSeqs + 1 entries ending at numExtents");
        }
    }

    /** A batch whose every token id is known on the host (no deferred tokens). */
    public ForwardBatch(int[] tokenIds, int[] positions, int[] slotMapping, int[] cuSeqlensQ, int[] contextLens,
                        int[] cuExtents, int[] extentStarts, int[] extentLengths, int[] logitRows) {
        this(tokenIds, positions, slotMapping, cuSeqlensQ, contextLens, cuExtents, extentStarts, extentLengths,
                logitRows, noneDeferred(Objects.requireNonNull(tokenIds, "tokenIds").length));
    }

    private static int[] noneDeferred(int numTokens) {
        int[] none = new int[numTokens];
        Arrays.fill(none, -1);
        return none;
    }

    /** Whether any row feeds a token of the previous step ({@link #deferredTokens}). */
    public boolean hasDeferredTokens() {
        for (int source : deferredTokens) {
            if (source >= 0) {
                return true;
            }
        }
        return false;
    }

    public int numTokens() {
        return tokenIds.length;
    }

    public int numSeqs() {
        return contextLens.length;
    }

    public int queryLen(int seq) {
        return cuSeqlensQ[seq + 1] - cuSeqlensQ[seq];
    }

    /**
     * The cache slot of each of request {@code seq}'s context tokens, in order: its extents walked in order, token j
     * at the j-th slot. Fails if the extents hold fewer slots than its context.
     */
    public int[] contextSlots(int seq) {
        int[] slots = new int[contextLens[seq]];
        int filled = 0;
        for (int e = cuExtents[seq]; e < cuExtents[seq + 1] && filled < slots.length; e++) {
            int take = Math.min(extentLengths[e], slots.length - filled);
            for (int i = 0; i < take; i++) {
                slots[filled++] = extentStarts[e] + i;
            }
        }
        if (filled < slots.length) {
            throw new IllegalStateException("request " + seq + " has " + filled + " cache slots for a context of "
                    + slots.length + " tokens");
        }
        return slots;
    }
}
