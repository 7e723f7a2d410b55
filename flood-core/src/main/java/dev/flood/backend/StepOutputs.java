package dev.flood.backend;

import dev.flood.sampling.RowLogprobs;

/**
 * What a step's logits gave, in the order of its {@link OutputSpec}.
 *
 * @param tokens          [numSampled] the token drawn for each sample row
 * @param tokenLogprobs   [numSampled] log-probabilities of that token and the row's top tokens (as many as the
 *                        widest request asked for), or null for rows whose request asked for none
 * @param scores          [numScored] log p(target) of each scored row
 */
public record StepOutputs(int[] tokens, RowLogprobs[] tokenLogprobs, double[] scores) {

    public StepOutputs {
        if (tokens.length != tokenLogprobs.length) {
            throw new IllegalArgumentException(tokens.length + " tokens with " + tokenLogprobs.length
                    + " log-probability entries");
        }
    }
}
