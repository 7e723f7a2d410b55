package dev.flood.engine;

import dev.flood.cache.PromptBlocks;
import dev.flood.cache.SegmentTable;
import java.util.Arrays;

/**
 * One request inside the engine: its tokens (prompt, then generated), how far the steps have read them, and the
 * cache extents that hold their keys and values. Touched only by the engine thread once queued.
 *
 * <p>With steps in flight three counts move apart. {@code numFed}: tokens fed to launched steps (their keys and
 * values are in the cache once those steps run). {@code numComputed}: tokens whose step has been collected.
 * {@code pendingSamples}: tokens being drawn by launched steps and not yet collected; they follow the
 * {@code numTokens} tokens known on the host. So {@code numComputed <= numFed <= numTokens + pendingSamples}, and
 * the next steps feed tokens {@code numFed ..}: the rest of the prompt, or a token still being drawn, which the
 * step reads on the device where it was drawn (a deferred token, {@link StepPlan}).
 *
 * <p>A request whose prompt starts with a cached prefix is admitted with that prefix computed: {@code numFed} and
 * {@code numComputed} start at its length, and its table lists the prefix's read-only slots first. A preempted
 * request keeps its tokens, drops its cache and starts again from the cached prefix it then finds (or
 * {@code numFed = 0}); only a request in no step in flight is preempted. After a fault every unfinished request
 * is rewound the same way, its steps in flight abandoned ({@link #rewind}). A finished or failed request is
 * {@link #isDone()}: rows that steps still in flight hold for it are discarded when they are collected.
 */
final class Sequence {

    /** Arrival order; also seeds requests that bring no seed. */
    final long serial;
    final int promptLength;
    /** The prompt as the prefix cache looks it up (hashed on the caller's thread). */
    final PromptBlocks promptBlocks;
    /** Cache slots the request needs at most: its prompt plus everything it may generate, capped by the context. */
    final int maxTokens;
    final Work work;

    private int[] tokens;
    private int numTokens;
    private int numFed;
    private int numComputed;
    private int pendingSamples;
    private int inFlight;            // launched, not yet collected steps holding this request
    private long lastSampleStep = -1;
    private int lastSampleRow;       // the sample row of the newest pending draw in step lastSampleStep
    private boolean done;
    private boolean preemptedItself; // until admitted again: it reads no cached prefix, reserves all (Scheduler)
    private SegmentTable cache;

    Sequence(long serial, int[] promptIds, int maxTokens, Work work) {
        this.serial = serial;
        this.promptLength = promptIds.length;
        this.promptBlocks = PromptBlocks.of(promptIds);
        this.maxTokens = maxTokens;
        this.work = work;
        this.tokens = Arrays.copyOf(promptIds, Math.max(promptIds.length, Math.min(maxTokens, promptIds.length + 64)));
        this.numTokens = promptIds.length;
    }

    int numTokens() {
        return numTokens;
    }

    int numFed() {
        return numFed;
    }

    int numComputed() {
        return numComputed;
    }

    int pendingSamples() {
        return pendingSamples;
    }

    int inFlight() {
        return inFlight;
    }

    boolean isDone() {
        return done;
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

    /**
     * Tokens the next steps must feed: the known ones not yet fed, then those still being drawn, except a drawn
     * token that ends the request by length (it is never read back).
     */
    int tokensToFeed() {
        int end = numTokens + pendingSamples;
        if (pendingSamples > 0) {
            end = Math.min(end, maxTokens - 1);
        }
        return end - numFed;
    }

    /** Whether the newest pending draw is in step {@code stepId}, so a step after it can read it there. */
    boolean drawsIn(long stepId) {
        return pendingSamples > 0 && lastSampleStep == stepId;
    }

    /** The sample row of the newest pending draw, in step {@link #drawsIn}. */
    int lastSampleRow() {
        return lastSampleRow;
    }

    /** A step was launched that feeds {@code count} tokens and draws one token at {@code sampleRow} (or -1). */
    void launched(long stepId, int count, int sampleRow) {
        numFed += count;
        inFlight++;
        if (sampleRow >= 0) {
            pendingSamples++;
            lastSampleStep = stepId;
            lastSampleRow = sampleRow;
        }
    }

    /** A step launched with {@link #launched} was collected; its drawn token, if any, comes to {@link #append}. */
    void collected(int count, boolean sampled) {
        numComputed += count;
        inFlight--;
        if (sampled) {
            pendingSamples--;
        }
    }

    void append(int tokenId) {
        if (numTokens == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.min(Math.max(maxTokens, numTokens + 1), numTokens * 2));
        }
        tokens[numTokens++] = tokenId;
    }

    SegmentTable cache() {
        return cache;
    }

    /** Takes a table whose first {@code cachedTokens} slots hold a computed prefix of the prompt. */
    void attach(SegmentTable table, int cachedTokens) {
        cache = table;
        numFed = cachedTokens;
        numComputed = cachedTokens;
        preemptedItself = false;
    }

    /** Whether the request was last preempted because it could not grow even alone (see Scheduler). */
    boolean preemptedItself() {
        return preemptedItself;
    }

    void markPreemptedItself() {
        preemptedItself = true;
    }

    /** Forgets the cache (after it was freed): the whole sequence will be recomputed. Not while in flight. */
    void detach() {
        if (inFlight > 0) {
            throw new IllegalStateException("request " + serial + " is in " + inFlight + " steps in flight");
        }
        cache = null;
        numFed = 0;
        numComputed = 0;
    }

    /**
     * Forgets the cache and every step in flight, abandoned after a fault (see {@link Engine}): like a preempted
     * request, the sequence will be recomputed from its known tokens, and tokens that were being drawn are drawn
     * again, with the same counters.
     */
    void rewind() {
        cache = null;
        numFed = 0;
        numComputed = 0;
        pendingSamples = 0;
        inFlight = 0;
        lastSampleStep = -1;
    }

    /** Ends the request (finished, failed or cancelled) after its cache was freed. */
    void release() {
        cache = null;
        done = true;
    }
}
