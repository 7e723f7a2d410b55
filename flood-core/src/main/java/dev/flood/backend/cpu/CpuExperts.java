package dev.flood.backend.cpu;

import dev.flood.backend.ExpertRouting;
import dev.flood.backend.RouterSpec;

/**
 * Mixture-of-experts routing, expert linear layers and the weighted combine in plain float32: the reference for the
 * grouped kernels of faster backends. Each output element is computed by one fixed loop, whatever else is in the
 * batch.
 */
final class CpuExperts {

    private CpuExperts() {
    }

    /**
     * The routing of one step. Pair {@code p = t * topK + j} is token t's j-th choice, in descending probability:
     * {@code experts[p]} its expert, {@code weights[p]} its weight.
     */
    record Routing(int numTokens, int numExperts, int topK, int[] experts, float[] weights) implements ExpertRouting {
    }

    /**
     * As transformers' routers: softmax over all experts in float32 (the maximum subtracted, exponentials summed in
     * double here), the top-k probabilities (ties to the lower index), renormalized by their float sum if asked.
     */
    static Routing route(Parallel parallel, CpuTensor logits, RouterSpec spec) {
        int numTokens = logits.rows();
        int numExperts = logits.cols();
        int topK = spec.topK();
        if (topK > numExperts) {
            throw new IllegalArgumentException("top-" + topK + " routing over " + numExperts + " experts");
        }
        int[] experts = new int[numTokens * topK];
        float[] weights = new float[numTokens * topK];
        parallel.forEach(numTokens, t -> {
            int row = t * numExperts;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < numExperts; e++) {
                max = Math.max(max, logits.data()[row + e]);
            }
            float[] probabilities = new float[numExperts];
            double sum = 0;
            for (int e = 0; e < numExperts; e++) {
                probabilities[e] = (float) Math.exp(logits.data()[row + e] - max);
                sum += probabilities[e];
            }
            float inverseSum = (float) (1.0 / sum);
            for (int e = 0; e < numExperts; e++) {
                probabilities[e] *= inverseSum;
            }
            boolean[] taken = new boolean[numExperts];
            float chosenSum = 0;
            for (int j = 0; j < topK; j++) {
                int best = -1;
                for (int e = 0; e < numExperts; e++) {
                    if (!taken[e] && (best < 0 || probabilities[e] > probabilities[best])) {
                        best = e;
                    }
                }
                taken[best] = true;
                experts[t * topK + j] = best;
                weights[t * topK + j] = probabilities[best];
                chosenSum += probabilities[best];
            }
            if (spec.renormalize()) {
                for (int j = 0; j < topK; j++) {
                    weights[t * topK + j] /= chosenSum;
                }
            }
        });
        return new Routing(numTokens, numExperts, topK, experts, weights);
    }

    /** {@code out[p] = x[row of p] · W_e^T}; see {@link dev.flood.backend.Backend#expertLinear}. */
    static void linear(Parallel parallel, CpuTensor x, Routing routing, CpuTensor experts, CpuTensor out) {
        int pairs = routing.numPairs();
        if (experts.rows() % routing.numExperts() != 0) {
            throw new IllegalArgumentException("expertLinear: " + experts.rows() + " weight rows for "
                    + routing.numExperts() + " experts");
        }
        int outPerExpert = experts.rows() / routing.numExperts();
        int in = experts.cols();
        boolean perToken = x.rows() == routing.numTokens();
        if (!perToken && x.rows() != pairs || x.cols() != in || out.rows() != pairs || out.cols() != outPerExpert) {
            throw new IllegalArgumentException("expertLinear: x [" + x.rows() + ", " + x.cols() + "], experts "
                    + routing.numExperts() + " x [" + outPerExpert + ", " + in + "], out [" + out.rows() + ", "
                    + out.cols() + "] for " + routing.numTokens() + " tokens x top-" + routing.topK());
        }
        parallel.forEach(pairs, p -> {
            int inputRow = perToken ? p / routing.topK() : p;
            int firstWeightRow = routing.experts()[p] * outPerExpert;
            for (int n = 0; n < outPerExpert; n++) {
                out.data()[p * outPerExpert + n] = CpuBackend.dot(x.data(), inputRow * in, experts.data(),
                        (firstWeightRow + n) * in, in);
            }
        });
    }

    /** {@code out[t] = Σ weight · expertOut[pair]} over token t's pairs in ascending expert order, in float32. */
    static void combine(Parallel parallel, CpuTensor expertOut, Routing routing, CpuTensor out) {
        int topK = routing.topK();
        int width = out.cols();
        if (expertOut.rows() != routing.numPairs() || expertOut.cols() != width || out.rows() != routing.numTokens()) {
            throw new IllegalArgumentException("combineExperts: expert output [" + expertOut.rows() + ", "
                    + expertOut.cols() + "], out [" + out.rows() + ", " + out.cols() + "] for " + routing.numTokens()
                    + " tokens x top-" + topK);
        }
        parallel.forEach(routing.numTokens(), t -> {
            int[] order = ascendingExperts(routing, t);
            for (int i = 0; i < width; i++) {
                float sum = 0;
                for (int pair : order) {
                    sum += routing.weights()[pair] * expertOut.data()[pair * width + i];
                }
                out.data()[t * width + i] = sum;
            }
        });
    }

    /** Token t's pairs ordered by their expert index. */
    private static int[] ascendingExperts(Routing routing, int t) {
        int topK = routing.topK();
        int[] pairs = new int[topK];
        for (int j = 0; j < topK; j++) {
            int pair = t * topK + j;
            int at = j;
            while (at > 0 && routing.experts()[pairs[at - 1]] > routing.experts()[pair]) {
                pairs[at] = pairs[at - 1];
                at--;
            }
            pairs[at] = pair;
        }
        return pairs;
    }
}
