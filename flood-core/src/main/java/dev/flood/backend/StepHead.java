package dev.flood.backend;

/**
 * What a step's outputs are read from on the pipeline's last stage ({@link Backend#launchOutputs}): the final
 * hidden states of every token with the lm_head, for scored rows, and the logits already computed for the rows
 * that sample. All live on the last stage's backend, in the current step.
 *
 * @param hidden [numTokens, hiddenSize]: every token's hidden state after the final norm
 * @param lmHead [vocab, hiddenSize]
 * @param logits [batch.logitRows().length, vocab] float32, or null when the step has no logit rows
 */
public record StepHead(Tensor hidden, Weight lmHead, Tensor logits) {

    /** The logits, failing when {@code spec} draws tokens from a step that has none. */
    public Tensor logitsFor(OutputSpec spec) {
        if (logits == null && spec.sampleRows().length > 0) {
            throw new IllegalStateException(spec.sampleRows().length + " draws asked of a step with no logit rows");
        }
        return logits;
    }
}
