package dev.flood.engine;

import dev.flood.api.ScoreResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Prompt log-probabilities of a text: entry i is log p(token i+1 | tokens 0..i). */
final class Scoring implements Work {

    final RequestFuture<ScoreResult> future = new RequestFuture<>();
    private final List<Double> tokenLogprobs = new ArrayList<>();

    @Override
    public boolean needsAllLogits() {
        return true;
    }

    /**
     * Takes log p(token p+1 | tokens ..p) for positions {@code first, first + 1, ...}. Positions already known
     * (recomputed after a preemption) are not added twice.
     */
    void accept(int first, double[] logprobs) {
        for (int k = 0; k < logprobs.length; k++) {
            if (first + k == tokenLogprobs.size()) {
                tokenLogprobs.add(logprobs[k]);
            }
        }
    }

    boolean isDone(Sequence sequence) {
        return sequence.numComputed() == sequence.numTokens();
    }

    void complete(Sequence sequence) {
        future.complete(ScoreResult.of(Arrays.stream(sequence.tokens()).boxed().toList(), tokenLogprobs));
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
