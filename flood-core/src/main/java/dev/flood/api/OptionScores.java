package dev.flood.api;

import java.util.List;

/**
 * FLOOD-style option scoring: for one prompt and several candidate continuations, the summed log-likelihood of
 * each continuation's tokens given the prompt, and their count (for length-normalized comparisons).
 * {@code best} is the index of the highest log-likelihood. On failure {@code error} is set and the lists are empty.
 */
public record OptionScores(List<Double> logLikelihoods, List<Integer> optionTokens, int best, String error) {

    public OptionScores {
        logLikelihoods = List.copyOf(logLikelihoods);
        optionTokens = List.copyOf(optionTokens);
    }

    public static OptionScores failed(String error) {
        return new OptionScores(List.of(), List.of(), -1, error);
    }

    public boolean isError() {
        return error != null;
    }
}
