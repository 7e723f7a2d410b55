package dev.flood.testing;

import dev.flood.backend.Backend;
import dev.flood.backend.ForwardBatch;
import dev.flood.model.CausalLM;
import java.util.stream.IntStream;

/**
 * A prompt's token log-probabilities straight from a model, without the engine: one prefill of the whole prompt
 * from position 0 into cache slots 0..n-1 (the backend's cache must hold n tokens), logits of rows 0..n-2, and the
 * log-softmax of each row at the next token, in double precision.
 */
public final class PromptLogprobs {

    private PromptLogprobs() {
    }

    /** {@code [n - 1]}: entry r is log P(ids[r + 1] | ids[0..r]). */
    public static double[] of(CausalLM lm, Backend backend, int vocab, int[] ids) {
        int n = ids.length;
        int[] positions = IntStream.range(0, n).toArray();
        float[] logits = backend.toHost(lm.forward(new ForwardBatch(ids, positions, positions.clone(),
                new int[] {0, n}, new int[] {n}, new int[] {0, 1}, new int[] {0}, new int[] {n},
                IntStream.range(0, n - 1).toArray())));
        double[] logprobs = new double[n - 1];
        for (int r = 0; r < n - 1; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[r * vocab + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[r * vocab + v] - max);
            }
            logprobs[r] = logits[r * vocab + ids[r + 1]] - max - Math.log(sum);
        }
        return logprobs;
    }
}
