package dev.flood.api;

/** One candidate token at a generated position, with its log-probability under the model. */
public record TopLogprob(int tokenId, String token, double logprob) {
}
