package dev.flood.api;

import java.util.List;

/**
 * Log-likelihood of a text under the model. {@code tokenLogprobs.get(i)} is log p(token i+1 | tokens before it)
 * over the tokenizer's ids with special tokens included (so a text of n tokens has n-1 entries); {@code meanNll}
 * is minus their mean and {@code perplexity} is {@code exp(meanNll)}. A text that fits one window
 * ({@link ScoreOptions}) conditions each token on every token before it; a longer one is scored in
 * {@code windows} strided windows, each token given the tokens of its window before it. A text of one token has
 * no entries, NaN statistics and 0 windows. On failure {@code error} is set and the rest is empty.
 */
public record ScoreResult(List<Integer> tokenIds, List<Double> tokenLogprobs, double meanNll, double perplexity,
                          int windows, String error) {

    public ScoreResult {
        tokenIds = List.copyOf(tokenIds);
        tokenLogprobs = List.copyOf(tokenLogprobs);
    }

    public static ScoreResult failed(String error) {
        return new ScoreResult(List.of(), List.of(), Double.NaN, Double.NaN, 0, error);
    }

    /** The statistics of {@code tokenLogprobs}, read in {@code windows} windows. */
    public static ScoreResult of(List<Integer> tokenIds, List<Double> tokenLogprobs, int windows) {
        double sum = 0;
        for (double lp : tokenLogprobs) {
            sum += lp;
        }
        double meanNll = tokenLogprobs.isEmpty() ? Double.NaN : -sum / tokenLogprobs.size();
        return new ScoreResult(tokenIds, tokenLogprobs, meanNll, Math.exp(meanNll), windows, null);
    }

    public int tokens() {
        return tokenIds.size();
    }

    public boolean isError() {
        return error != null;
    }
}
