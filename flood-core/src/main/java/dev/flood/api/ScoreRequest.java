package dev.flood.api;

import java.util.List;
import java.util.Objects;

/**
 * One text to score: either text (tokenized by the engine, special tokens added as the tokenizer's
 * post-processor says) or token ids given directly, and how a text longer than the model's window is handled.
 * Exactly one of {@code text} and {@code tokenIds} is non-null; a request with neither is accepted here and
 * reported as an error result by the engine, so a batch with one bad row still returns every other row.
 */
public record ScoreRequest(String text, List<Integer> tokenIds, ScoreOptions options) {

    public ScoreRequest {
        Objects.requireNonNull(options, "options");
        if (text != null && tokenIds != null) {
            throw new IllegalArgumentException("give either text or token ids, not both");
        }
        if (tokenIds != null) {
            tokenIds = List.copyOf(tokenIds);
        }
    }

    public static ScoreRequest of(String text) {
        return new ScoreRequest(text, null, ScoreOptions.DEFAULTS);
    }

    public static ScoreRequest of(String text, ScoreOptions options) {
        return new ScoreRequest(text, null, options);
    }

    public static ScoreRequest ofTokens(List<Integer> tokenIds, ScoreOptions options) {
        return new ScoreRequest(null, Objects.requireNonNull(tokenIds, "tokenIds"), options);
    }
}
