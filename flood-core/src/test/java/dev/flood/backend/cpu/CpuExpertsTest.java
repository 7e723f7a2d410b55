package dev.flood.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.backend.ExpertRouting;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference mixture-of-experts ops against the formulas written out plainly here: routing (softmax, top-k with
 * ties to the lower index, renormalization) to 1e-6 relative (the softmax here is computed in double), the expert
 * linear layers and the combine exactly (the same float32 operations in the same order).
 */
class CpuExpertsTest {

    private static final long SEED = System.nanoTime();
    private final Random random = new Random(SEED);
    private final CpuBackend backend = new CpuBackend(2);

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void routesAsTransformersWithTiesToTheLowerIndex() {
        // token 0: experts 1 and 3 tie for first place; token 1: expert 2 leads, then 0
        CpuTensor logits = new CpuTensor(new float[] {0.5f, 2f, -1f, 2f, 1f, -3f, 4f, 0f}, 2, 4);
        ExpertRouting routing = backend.routeExperts(logits, new RouterSpec(2, false));
        CpuExperts.Routing r = (CpuExperts.Routing) routing;
        assertArrayEquals(new int[] {1, 3, 2, 0}, r.experts());
        double[] p0 = softmax(0.5, 2, -1, 2);
        double[] p1 = softmax(1, -3, 4, 0);
        assertArrayEquals(new float[] {(float) p0[1], (float) p0[3], (float) p1[2], (float) p1[0]}, r.weights(), 1e-6f);

        CpuExperts.Routing normalized = (CpuExperts.Routing) backend.routeExperts(logits, new RouterSpec(2, true));
        double top2 = p1[2] + p1[0];
        assertArrayEquals(new float[] {0.5f, 0.5f, (float) (p1[2] / top2), (float) (p1[0] / top2)},
                normalized.weights(), 1e-6f);
        assertEquals(4, routing.numPairs());
    }

    @Test
    void refusesMoreChoicesThanExperts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.routeExperts(new CpuTensor(3, 4), new RouterSpec(5, true)));
        assertEquals("top-5 routing over 4 experts", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 19, 111})
    void expertLinearAndCombineFollowTheirFormulas(int numTokens) {
        int numExperts = 7;
        int topK = 3;
        int in = 33;
        int width = 21;
        CpuTensor logits = random(numTokens, numExperts, 3f);
        CpuExperts.Routing routing = (CpuExperts.Routing) backend.routeExperts(logits, new RouterSpec(topK, true));
        CpuTensor experts = random(numExperts * width, in, 0.3f);
        CpuTensor perToken = random(numTokens, in, 1f);
        CpuTensor perPair = random(numTokens * topK, in, 1f);
        Tensor fromTokens = backend.allocate(numTokens * topK, width);
        Tensor fromPairs = backend.allocate(numTokens * topK, width);
        backend.expertLinear(perToken, routing, experts, fromTokens);
        backend.expertLinear(perPair, routing, experts, fromPairs);
        float[] expectedTokens = new float[numTokens * topK * width];
        float[] expectedPairs = new float[numTokens * topK * width];
        for (int p = 0; p < numTokens * topK; p++) {
            int expert = routing.experts()[p];
            for (int n = 0; n < width; n++) {
                int row = expert * width + n;
                expectedTokens[p * width + n] = CpuBackend.dot(perToken.data(), (p / topK) * in, experts.data(),
                        row * in, in);
                expectedPairs[p * width + n] = CpuBackend.dot(perPair.data(), p * in, experts.data(), row * in, in);
            }
        }
        assertArrayEquals(expectedTokens, backend.toHost(fromTokens), "seed " + SEED);
        assertArrayEquals(expectedPairs, backend.toHost(fromPairs), "seed " + SEED);

        Tensor combined = backend.allocate(numTokens, width);
        backend.combineExperts(fromPairs, routing, combined);
        float[] expertOut = backend.toHost(fromPairs);
        float[] expected = new float[numTokens * width];
        for (int t = 0; t < numTokens; t++) {
            for (int i = 0; i < width; i++) {
                float sum = 0;
                for (int expert = 0; expert < numExperts; expert++) {
                    for (int j = 0; j < topK; j++) {
                        int pair = t * topK + j;
                        if (routing.experts()[pair] == expert) {
                            sum += routing.weights()[pair] * expertOut[pair * width + i];
                        }
                    }
                }
                expected[t * width + i] = sum;
            }
        }
        assertArrayEquals(expected, backend.toHost(combined), "seed " + SEED);
    }

    @Test
    void expertLinearChecksShapes() {
        CpuExperts.Routing routing = (CpuExperts.Routing) backend.routeExperts(random(5, 4, 1f),
                new RouterSpec(2, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.expertLinear(random(6, 8, 1f), routing, random(4 * 3, 8, 1f), new CpuTensor(10, 3)));
        assertEquals("expertLinear: x [6, 8], experts 4 x [3, 8], out [10, 3] for 5 tokens x top-2", e.getMessage());
    }

    private static double[] softmax(double... logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private CpuTensor random(int rows, int cols, float scale) {
        CpuTensor t = new CpuTensor(rows, cols);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = scale * (2 * random.nextFloat() - 1);
        }
        return t;
    }
}
