package dev.flood.api;

import java.util.List;

/**
 * The log-probability of one generated token under the model's distribution at that step (log-softmax of the
 * raw logits, before temperature and filtering), and the {@code logprobs} most likely alternatives.
 */
public record TokenLogprobs(int tokenId, double logprob, List<TopLogprob> top) {
    public TokenLogprobs {
        top = List.copyOf(top);
    }
}
