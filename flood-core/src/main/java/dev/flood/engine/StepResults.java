package dev.flood.engine;

import dev.flood.backend.Backend;
import dev.flood.backend.Tensor;
import dev.flood.sampling.RowLogprobs;
import dev.flood.sampling.SamplingState;
import java.util.ArrayList;
import java.util.List;

/**
 * What one step's logits say, asked of the backend where the logits live: a sampled token (and its
 * log-probabilities, when the request wants them) for each generation that reached its last known token, and
 * the log-probability of the next token at each scored row. Indexed by position in the step plan.
 *
 * <p>Logit rows follow plan order (see {@link StepPlan}); this class walks them the same way.
 */
final class StepResults {

    private final int[] tokens;               // [numScheduled], -1 where nothing was sampled
    private final RowLogprobs[] logprobs;     // [numScheduled], null where none were asked for
    private final double[][] scores;          // [numScheduled][rows of that sequence], null for generations

    private StepResults(int numScheduled) {
        tokens = new int[numScheduled];
        java.util.Arrays.fill(tokens, -1);
        logprobs = new RowLogprobs[numScheduled];
        scores = new double[numScheduled][];
    }

    /** Reads the plan before its sequences advance: which rows are whose. */
    static StepResults of(StepPlan plan, Tensor logits, Backend backend) {
        List<StepPlan.Scheduled> scheduled = plan.scheduled();
        StepResults results = new StepResults(scheduled.size());
        List<Integer> sampledIndex = new ArrayList<>();
        List<Integer> sampledRows = new ArrayList<>();
        List<SamplingState> states = new ArrayList<>();
        List<Integer> scoredRows = new ArrayList<>();
        List<Integer> scoredTargets = new ArrayList<>();
        int row = 0;
        for (int i = 0; i < scheduled.size(); i++) {
            Sequence sequence = scheduled.get(i).sequence();
            int first = sequence.numComputed();
            int last = first + scheduled.get(i).numTokens();
            if (sequence.work instanceof Generation generation) {
                if (last == sequence.numTokens()) {
                    sampledIndex.add(i);
                    sampledRows.add(row++);
                    states.add(generation.samplingState());
                }
            } else {
                int scored = Math.max(0, Math.min(last, sequence.numTokens() - 1) - first);
                results.scores[i] = new double[scored];
                for (int position = first; position < first + scored; position++) {
                    scoredRows.add(row++);
                    scoredTargets.add(sequence.token(position + 1));
                }
            }
        }
        if (!states.isEmpty()) {
            results.sample(backend, backend.gatherRows(logits, toArray(sampledRows)), sampledIndex, states);
        }
        if (!scoredRows.isEmpty()) {
            List<RowLogprobs> rows = backend.logprobs(backend.gatherRows(logits, toArray(scoredRows)),
                    toArray(scoredTargets), 0);
            int next = 0;
            for (double[] perSequence : results.scores) {
                for (int k = 0; perSequence != null && k < perSequence.length; k++) {
                    perSequence[k] = rows.get(next++).chosenLogprob();
                }
            }
        }
        return results;
    }

    private void sample(Backend backend, Tensor rows, List<Integer> index, List<SamplingState> states) {
        int[] drawn = backend.sample(rows, states);
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
            List<RowLogprobs> rowLogprobs = backend.logprobs(backend.gatherRows(rows, toArray(wanting)), chosen, topN);
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

    /** log p(token p+1 | tokens ..p) for each scored row of plan entry {@code i}, in position order. */
    double[] scores(int i) {
        return scores[i];
    }
}
