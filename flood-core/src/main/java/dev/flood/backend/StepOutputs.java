package dev.flood.backend;

import dev.flood.sampling.RowLogprobs;

/**
 * What a step's logits gave, in the order of its {@link OutputSpec}.
 *
 * <p>A row whose logits cannot be used (NaN or +Infinity, every token masked, a score that overflows after its
 * request's temperature) is that row's request's own failure, not the step's: its error is set and its other
 * fields are placeholders (token 0, which a later step's deferred row may read; the engine discards such rows
 * with the failed request). Every other row of the step is valid.
 *
 * @param tokens          [numSampled] the token drawn for each sample row
 * @param tokenLogprobs   [numSampled] log-probabilities of that token and the row's top tokens (as many as the
 *                        widest request asked for), or null for rows whose request asked for none
 * @param scores          [numScored] log p(target) of each scored row
 * @param sampleErrors    [numSampled] why a sample row has no token, or null where it has one
 * @param scoreErrors     [numScored] why a scored row has no score, or null where it has one
 */
public record StepOutputs(int[] tokens, RowLogprobs[] tokenLogprobs, double[] scores, String[] sampleErrors,
                          String[] scoreErrors) {

    public StepOutputs {
        if (tokens.length != tokenLogprobs.length || tokens.length != sampleErrors.length) {
            throw new IllegalArgumentException(tokens.length + " tokens with " + tokenLogprobs.length
                    + " log-probability entries and " + sampleErrors.length + " error entries");
        }
        if (scores.length != scoreErrors.length) {
            throw new IllegalArgumentException(scores.length + " scores with " + scoreErrors.length + " error entries");
        }
    }

    /** Outputs in which every row is valid. */
    public StepOutputs(int[] tokens, RowLogprobs[] tokenLogprobs, double[] scores) {
        this(tokens, tokenLogprobs, scores, new String[tokens.length], new String[scores.length]);
    }
}
