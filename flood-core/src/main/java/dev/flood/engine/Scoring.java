package dev.flood.engine;

import dev.flood.api.ScoreResult;
import java.util.Arrays;
import java.util.List;

/**
 * The log-probabilities one sequence reports: log p(token p+1 | tokens 0..p) for each of its positions p from
 * {@code scoredFrom} on. A whole text starts at 0; a later sliding window starts where the previous window
 * stopped scoring, its earlier tokens being context only ({@link ScoreWindows}).
 */
final class Scoring implements Work {

    final RequestFuture<ScoreResult> future = new RequestFuture<>();
    private final int scoredFrom;
    private final double[] logprobs;   // [numTokens - 1 - scoredFrom]: entry i is position scoredFrom + i
    private int known;                 // entries filled, in position order

    /** Scores positions {@code scoredFrom .. numTokens - 1} of a sequence of {@code numTokens} tokens. */
    Scoring(int numTokens, int scoredFrom) {
        if (scoredFrom < 0 || scoredFrom >= numTokens - 1) {
            throw new IllegalArgumentException("scoring from position " + scoredFrom + " of " + numTokens + " tokens");
        }
        this.scoredFrom = scoredFrom;
        this.logprobs = new double[numTokens - 1 - scoredFrom];
    }

    /** The context-only tokens before {@code scoredFrom}: their rows report nothing. */
    @Override
    public int skippableTokens(Sequence sequence) {
        return scoredFrom;
    }

    /**
     * Whether a step feeding {@code position} reports its next token's log-probability: the position is past the
     * window's context-only tokens and has a next token among the sequence's {@code numTokens}.
     */
    boolean scores(int position, int numTokens) {
        return position >= scoredFrom && position + 1 < numTokens;
    }

    /**
     * Takes what a step that fed tokens from {@code firstFed} on reports: log p(token p+1 | tokens ..p) for the
     * positions p it {@link #scores}, in order from {@code max(firstFed, scoredFrom)}. Positions already known
     * (recomputed after a preemption) are not taken twice.
     */
    void accept(int firstFed, double[] values) {
        int first = Math.max(firstFed, scoredFrom);
        for (int k = 0; k < values.length; k++) {
            if (first + k - scoredFrom == known) {
                logprobs[known++] = values[k];
            }
        }
    }

    boolean isDone(Sequence sequence) {
        return sequence.numComputed() == sequence.numTokens();
    }

    /** Completes with the sequence's tokens and the log-probabilities it reported, read in one window. */
    void complete(Sequence sequence) {
        List<Double> reported = Arrays.stream(logprobs, 0, known).boxed().toList();
        future.complete(ScoreResult.of(Arrays.stream(sequence.tokens()).boxed().toList(), reported, 1));
    }

    @Override
    public RequestFuture<ScoreResult> future() {
        return future;
    }

    @Override
    public void fail(String error, Sequence sequence) {
        future.complete(ScoreResult.failed(error));
    }

    /** Only a cancelled future cancels a scoring, so there is no one to tell: completing it does nothing. */
    @Override
    public void cancel(Sequence sequence) {
        future.complete(ScoreResult.failed("cancelled"));
    }
}
