package dev.flood.sampling;

/**
 * One logits row's log-probabilities ({@link dev.flood.backend.Backend#logprobs}): the chosen token's, and the row's most
 * likely tokens best first (ties: lower id first), all under the log-softmax of the raw logits, in double.
 *
 * @param chosenLogprob log p(chosen token)
 * @param topTokenIds   the most likely token ids, best first
 * @param topLogprobs   their log-probabilities, in the same order
 */
public record RowLogprobs(double chosenLogprob, int[] topTokenIds, double[] topLogprobs) {

    public RowLogprobs {
        if (topTokenIds.length != topLogprobs.length) {
            throw new IllegalArgumentException(topTokenIds.length + " top ids with " + topLogprobs.length + " values");
        }
    }
}
