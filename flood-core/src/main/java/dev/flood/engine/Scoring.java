package dev.flood.engine;

import dev.flood.api.ScoreResult;
import dev.flood.sampling.Sampler;
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

    /** Takes the logits of one row at {@code position}, whose target is the token after it. */
    void accept(Sequence sequence, int position, float[] logits, int offset, int vocabSize) {
        if (position == tokenLogprobs.size()) {
            tokenLogprobs.add(Sampler.logSoftmaxAt(logits, offset, vocabSize, sequence.token(position + 1)));
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
