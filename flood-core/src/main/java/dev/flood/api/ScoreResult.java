package dev.flood.api;

import java.util.List;

/**
 * Log-likelihood of a text under the model. {@code tokenLogprobs.get(i)} is log p(token i+1 | tokens 0..i) over
 * the tokenizer's ids with special tokens included (so a text of n tokens has n-1 entries); {@code meanNll} is
 * minus their mean and {@code perplexity} is {@code exp(meanNll)}. A text of one token has no entries and NaN
 * statistics. On failure {@code error} is set and the rest is empty.
 */
public record ScoreResult(List<Integer> tokenIds, List<Double> tokenLogprobs, double meanNll, double perplexity,
                          String error) {

    public ScoreResult {
        tokenIds = List.copyOf(tokenIds);
        tokenLogprobs = List.copyOf(tokenLogprobs);
    }

    public static ScoreResult failed(String error) {
        return new ScoreResult(List.of(), List.of(), Double.NaN, Double.NaN, error);
    }

    public static ScoreResult of(List<Integer> tokenIds, List<Double> tokenLogprobs) {
        double sum = 0;
        for (double lp : tokenLogprobs) {
            sum += lp;
        }
        double meanNll = tokenLogprobs.isEmpty() ? Double.NaN : -sum / tokenLogprobs.size();
        return new ScoreResult(tokenIds, tokenLogprobs, meanNll, Math.exp(meanNll), null);
    }

    public int tokens() {
        return tokenIds.size();
    }

    public boolean isError() {
        return error != null;
    }
}
