package dev.flood.backend;

import dev.flood.sampling.Draw;
import java.util.List;

/**
 * What one step needs from its last stage's head ({@link StepHead}): tokens drawn from rows of its logits
 * (generation, with their log-probabilities when a request asks), and the log-probability of a known next token
 * at rows of its final hidden states (scoring). Scored rows never go through the step's logits: the backend reads
 * them through the lm_head in bounded memory ({@link Backend#lmHeadLogprobs}).
 *
 * <p>Sampled rows are numbered in the order given here ("sample rows"); a later step's deferred tokens
 * ({@link ForwardBatch#deferredTokens()}) refer to this numbering.
 *
 * @param sampleRows   [numSampled] logits rows to draw a token from
 * @param draws        [numSampled] the draw of each; a row with {@code params().logprobs() > 0} also gets the
 *                     log-probabilities of its token and that many top tokens
 * @param scoreRows    [numScored] token rows of the hidden states whose target token's log-probability is wanted
 * @param scoreTargets [numScored] the target token of each
 */
public record OutputSpec(int[] sampleRows, List<Draw> draws, int[] scoreRows, int[] scoreTargets) {

    public OutputSpec {
        draws = List.copyOf(draws);
        if (sampleRows.length != draws.size()) {
            throw new IllegalArgumentException(sampleRows.length + " sample rows with " + draws.size() + " draws");
        }
        if (scoreRows.length != scoreTargets.length) {
            throw new IllegalArgumentException(scoreRows.length + " scored rows with " + scoreTargets.length
                    + " targets");
        }
    }

    /** The scored rows as {@link Backend#lmHeadLogprobs} takes them: each row's target, no top tokens. */
    public ScoredRows scored() {
        return new ScoredRows(scoreRows, scoreTargets, 0);
    }

    /** The most top tokens any sampled row asks for (0 when none wants log-probabilities). */
    public int maxTopLogprobs() {
        return draws.stream().mapToInt(d -> d.state().params().logprobs()).max().orElse(0);
    }

    public boolean isEmpty() {
        return sampleRows.length == 0 && scoreRows.length == 0;
    }
}
