package dev.flood.engine;

import dev.flood.api.ScoreResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Prompt log-probabilities of a text: entry i is log p(token i+1 | tokens 0..i). */
final class Scoring implements Work {

    final CompletableFuture<ScoreResult> future = new CompletableFuture<>();
    private final List<Double> tokenLogprobs = new ArrayList<>();

    @Override
    public boolean needsAllLogits() {
        return true;
    }

    /** None: every position's next-token log-probability is reported. */
    @Override
    public int skippableTokens(Sequence sequence) {
        return 0;
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
    public void fail(String error, Sequence sequence) {
        future.complete(ScoreResult.failed(error));
    }
}
