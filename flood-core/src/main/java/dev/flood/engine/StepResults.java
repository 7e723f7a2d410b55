package dev.flood.engine;

import dev.flood.backend.Backend;
import dev.flood.backend.ScoredRows;
import dev.flood.backend.Tensor;
import dev.flood.model.CausalLM;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.SamplingState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one step's hidden states say, asked of the backend where they live: a sampled token (and its
 * log-probabilities, when the request wants them) for each generation that reached its last known token, from
 * the logits of those rows; and for each scoring sequence, the log-probability of the next token at each of its
 * scored positions, through the model's lm_head op (no logits rows). Indexed by position in the step plan.
 *
 * <p>Logit rows follow plan order (see {@link StepPlan}); this class walks the plan the same way.
 */
final class StepResults {

    private final int[] tokens;               // [numScheduled], -1 where nothing was sampled
    private final RowLogprobs[] logprobs;     // [numScheduled], null where none were asked for
    private final double[][] scores;          // [numScheduled][scored positions of that sequence], null for generations
    private final int[] scoredFrom;           // [numScheduled] position of scores[i][0]

    private StepResults(int numScheduled) {
        tokens = new int[numScheduled];
        Arrays.fill(tokens, -1);
        logprobs = new RowLogprobs[numScheduled];
        scores = new double[numScheduled][];
        scoredFrom = new int[numScheduled];
    }

    /** Reads the plan before its sequences advance: which rows are whose. */
    static StepResults of(StepPlan plan, Tensor hidden, CausalLM model, Backend backend) {
        List<StepPlan.Scheduled> scheduled = plan.scheduled();
        StepResults results = new StepResults(scheduled.size());
        List<Integer> sampledIndex = new ArrayList<>();
        List<SamplingState> states = new ArrayList<>();
        int numTokens = plan.batch().numTokens();
        int[] scoredRows = new int[numTokens];
        int[] scoredTargets = new int[numTokens];
        int numScored = 0;
        int tokenRow = 0;   // the sequence's first row in the step's tokens
        for (int i = 0; i < scheduled.size(); i++) {
            Sequence sequence = scheduled.get(i).sequence();
            int first = sequence.numComputed();
            int last = first + scheduled.get(i).numTokens();
            if (sequence.work instanceof Generation generation) {
                if (last == sequence.numTokens()) {
                    sampledIndex.add(i);
                    states.add(generation.samplingState());
                }
            } else if (sequence.work instanceof Scoring scoring) {
                int from = Math.max(first, scoring.scoredFrom());
                int to = Math.min(last, sequence.numTokens() - 1);
                results.scoredFrom[i] = from;
                results.scores[i] = new double[Math.max(0, to - from)];
                for (int position = from; position < to; position++) {
                    scoredRows[numScored] = tokenRow + position - first;
                    scoredTargets[numScored++] = sequence.token(position + 1);
                }
            }
            tokenRow += scheduled.get(i).numTokens();
        }
        if (!states.isEmpty()) {
            results.sample(backend, model.logits(hidden, plan.batch()), sampledIndex, states);
        }
        if (numScored > 0) {
            List<RowLogprobs> rows = model.logprobs(hidden, new ScoredRows(Arrays.copyOf(scoredRows, numScored),
                    Arrays.copyOf(scoredTargets, numScored), 0));
            int next = 0;
            for (double[] perSequence : results.scores) {
                for (int k = 0; perSequence != null && k < perSequence.length; k++) {
                    perSequence[k] = rows.get(next++).chosenLogprob();
                }
            }
        }
        return results;
    }

    /** Samples every row of {@code logits} (one per generation that samples, in plan order). */
    private void sample(Backend backend, Tensor logits, List<Integer> index, List<SamplingState> states) {
        int[] drawn = backend.sample(logits, states);
        List<Integer> wanting = new ArrayList<>();
        int topN = 0;
        for (int k = 0; k < drawn.length; k++) {
            tokens[index.get(k)] = drawn[k];
            int asked = states.get(k).params().logprobs();
            if (asked > 0) {
                wanting.add(k);
                topN = Math.max(topN, asked);
            }
        }
        if (!wanting.isEmpty()) {
            int[] chosen = wanting.stream().mapToInt(k -> drawn[k]).toArray();
            Tensor rows = wanting.size() == drawn.length ? logits : backend.gatherRows(logits, toArray(wanting));
            List<RowLogprobs> rowLogprobs = backend.logprobs(rows, chosen, topN);
            for (int w = 0; w < wanting.size(); w++) {
                logprobs[index.get(wanting.get(w))] = rowLogprobs.get(w);
            }
        }
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The token sampled for plan entry {@code i}, or -1 if it sampled none this step. */
    int token(int i) {
        return tokens[i];
    }

    /** Log-probabilities of plan entry {@code i}'s sampled token, or null if it asked for none. */
    RowLogprobs logprobs(int i) {
        return logprobs[i];
    }

    /** log p(token p+1 | tokens ..p) for each scored position p of plan entry {@code i}, in position order. */
    double[] scores(int i) {
        return scores[i];
    }

    /** The position of {@code scores(i)[0]}. */
    int scoredFrom(int i) {
        return scoredFrom[i];
    }
}
