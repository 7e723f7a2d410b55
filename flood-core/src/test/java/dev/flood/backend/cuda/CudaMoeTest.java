package dev.flood.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.ExpertRouting;
import dev.flood.backend.ForwardBatch;
import dev.flood.backend.RouterSpec;
import dev.flood.backend.Tensor;
import dev.flood.backend.Weight;
import dev.flood.backend.cuda.BackendPair.Pair;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.model.ExpertWeightNames;
import dev.flood.testing.Fixtures;
import dev.flood.weights.SafetensorsCheckpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mixture-of-experts ops of the CUDA backend (routing, the grouped expert GEMM, the combine) against the float32
 * CPU reference, on fresh random inputs. Router logits are a random permutation per token of evenly spaced values
 * (steps of 1/8, bf16-representable), so no two experts' probabilities are within 13% of each other and both
 * backends choose the same experts; each expert's pairs then vary from none to many.
 *
 * <p>Shapes: 1, 19 and 111 tokens over 8 experts (top-2), 128 experts (top-8, most with a few pairs or none: 64-row
 * tiles), 2 experts (top-2, every token at both: 128-row tiles); 1500 tokens over 16 experts (top-4, several
 * 128-row tiles per expert). Output widths that are not multiples of the 128-column tile, input widths that are
 * not multiples of the 32-deep K step. The whole expert MLP also at the fixtures' shapes: tiny-mixtral's (4
 * experts of 96 over hidden 64: a gate/up of 192 columns in two column tiles, a down of 3 K steps) and
 * tiny-qwen3-moe's (8 experts of 32 over hidden 64). Tolerances (‖out − ref‖ / ‖ref‖):
 * <ul>
 *   <li>1e-4 for the expert GEMM: bf16-representable inputs (exact products), float32 accumulation on tensor cores;
 *   <li>1e-5 for the combine: float32 in, the routing weights within a few float32 ulps of the CPU's;
 *   <li>5e-3 for a whole expert MLP (GEMM, SiLU-gate, GEMM, combine): the CUDA SiLU-gate output is rounded to bf16
 *       (2^-9 relative per value) before the second GEMM, the CPU's is not.
 * </ul>
 */
@Tag("gpu")
class CudaMoeTest {

    private static final long SEED = System.nanoTime();
    private static final double TENSOR_CORE_FLOAT32 = 1e-4;
    private static final double FLOAT32 = 1e-5;
    private static final double EXPERT_MLP = 5e-3;
    private static BackendPair pair;

    @BeforeAll
    static void open() {
        pair = new BackendPair(SEED);
    }

    @AfterAll
    static void close() {
        if (pair != null) {
            pair.close();
        }
    }

    @ParameterizedTest(name = "{0} tokens, {1} experts, top-{2}, in {3}, out {4}")
    @CsvSource({"1, 8, 2, 64, 96", "19, 8, 2, 64, 96", "111, 8, 2, 200, 300", "1, 128, 8, 256, 144",
                "19, 128, 8, 256, 144", "111, 128, 8, 256, 144", "111, 2, 2, 72, 40", "1500, 16, 4, 128, 200"})
    void expertGemmAndCombineMatchReference(int numTokens, int numExperts, int topK, int in, int out) {
        ForwardBatch batch = BackendPair.simpleBatch(numTokens);
        pair.beginStep(batch);
        Pair<ExpertRouting> routing = route(numTokens, numExperts, new RouterSpec(topK, topK > 2), batch);
        Pair<Weight> experts = pair.matrix(numExperts * out, in, 0.2f);
        Pair<Tensor> x = pair.randomActivation(numTokens, in, 1f, batch);
        Pair<Tensor> y = pair.allocate(numTokens * topK, out);
        pair.cpu.expertLinear(x.cpu(), routing.cpu(), experts.cpu(), y.cpu());
        pair.cuda.expertLinear(x.cuda(), routing.cuda(), experts.cuda(), y.cuda());
        double gemmError = pair.relativeError(y);
        assertTrue(gemmError <= TENSOR_CORE_FLOAT32, context("expert GEMM", numTokens, numExperts) + ": " + gemmError);

        Pair<Tensor> combined = pair.allocate(numTokens, out);
        pair.cpu.combineExperts(y.cpu(), routing.cpu(), combined.cpu());
        pair.cuda.combineExperts(y.cuda(), routing.cuda(), combined.cuda());
        double combineError = pair.relativeError(combined);
        // The combine reads each backend's own GEMM output; its error adds to the GEMM's.
        assertTrue(combineError <= TENSOR_CORE_FLOAT32 + FLOAT32,
                context("combine", numTokens, numExperts) + ": " + combineError);
    }

    @ParameterizedTest(name = "{0} tokens, {1} experts, top-{2}, hidden {3}, intermediate {4}")
    @CsvSource({"1, 8, 2, 128, 48", "19, 128, 8, 128, 48", "111, 16, 4, 128, 48", "1500, 128, 8, 128, 48",
                "59, 4, 2, 64, 96", "59, 8, 2, 64, 32"})
    void aWholeExpertMlpMatchesReference(int numTokens, int numExperts, int topK, int hidden, int intermediate) {
        ForwardBatch batch = BackendPair.simpleBatch(numTokens);
        pair.beginStep(batch);
        Pair<ExpertRouting> routing = route(numTokens, numExperts, new RouterSpec(topK, true), batch);
        Pair<Weight> gateUp = pair.matrix(numExperts * 2 * intermediate, hidden, 0.2f);
        Pair<Weight> down = pair.matrix(numExperts * hidden, intermediate, 0.2f);
        Pair<Tensor> x = pair.randomActivation(numTokens, hidden, 1f, batch);
        Pair<Tensor> out = expertMlp(x, routing, gateUp, down, numTokens * topK, intermediate, hidden);
        double error = pair.relativeError(out);
        assertTrue(error <= EXPERT_MLP, context("expert MLP", numTokens, numExperts) + ": " + error);
    }

    /**
     * The fixtures' own sparse layers, their router and experts loaded by checkpoint name and stacked as SparseMoe
     * stacks them (expert e's gate rows, then its up rows; its down rows), through the CUDA backend's upload of
     * stored bf16 tensors: on fresh inputs (uniform in [-1.7, 1.7), RMS 1 as the normed activations), the layer's
     * output is within {@link #EXPERT_MLP} of the CPU's. The router's logits are spread over several units (its
     * weights are drawn with a standard deviation of 1), so the two backends' float32 sums of the same bf16 products
     * choose the same experts unless two are within about 1e-5; the smallest margin is printed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mixtral", "tiny-qwen3-moe"})
    void theFixturesSparseLayersMatchReference(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        ExpertWeightNames names = name.equals("tiny-mixtral") ? ExpertWeightNames.MIXTRAL
                : ExpertWeightNames.QWEN3_MOE;
        int numExperts = config.moe().numExperts();
        int width = config.moe().expertIntermediateSize();
        int hidden = config.hiddenSize();
        int numTokens = 59;
        RouterSpec spec = new RouterSpec(config.moe().numExpertsPerToken(),
                name.equals("tiny-mixtral") || config.moe().normTopkProb());
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            for (int layer = 0; layer < config.numLayers(); layer++) {
                String prefix = "model.layers." + layer + ".";
                List<String> gateUpNames = new ArrayList<>();
                List<String> downNames = new ArrayList<>();
                for (int e = 0; e < numExperts; e++) {
                    gateUpNames.add(prefix + names.expert(e, names.gateProj()));
                    gateUpNames.add(prefix + names.expert(e, names.upProj()));
                    downNames.add(prefix + names.expert(e, names.downProj()));
                }
                Pair<Weight> router = load(checkpoint, List.of(prefix + names.router()), List.of(numExperts), hidden);
                Pair<Weight> gateUp = load(checkpoint, gateUpNames, Collections.nCopies(2 * numExperts, width),
                        hidden);
                Pair<Weight> down = load(checkpoint, downNames, Collections.nCopies(numExperts, hidden), width);
                ForwardBatch batch = BackendPair.simpleBatch(numTokens);
                pair.beginStep(batch);
                Pair<Tensor> x = pair.randomActivation(numTokens, hidden, 1.7f, batch);
                Pair<Tensor> logits = pair.allocate(numTokens, numExperts);
                pair.cpu.linear(x.cpu(), router.cpu(), null, logits.cpu());
                pair.cuda.linear(x.cuda(), router.cuda(), null, logits.cuda());
                Pair<ExpertRouting> routing = new Pair<>(pair.cpu.routeExperts(logits.cpu(), spec),
                        pair.cuda.routeExperts(logits.cuda(), spec));
                Pair<Tensor> out = expertMlp(x, routing, gateUp, down, numTokens * spec.topK(), width, hidden);
                double error = pair.relativeError(out);
                double margin = smallestRouterMargin(pair.cpu.toHost(logits.cpu()), numExperts, spec.topK());
                String what = name + " layer " + layer + ": sparse layer relative error " + error
                        + ", smallest router margin " + margin + " (seed " + SEED + ")";
                System.out.println(what);
                assertTrue(error <= EXPERT_MLP, what);
            }
        }
    }

    private static Pair<Weight> load(SafetensorsCheckpoint checkpoint, List<String> names, List<Integer> rows,
                                     int cols) {
        return new Pair<>(pair.cpu.loadMatrix(checkpoint, names, rows, cols),
                pair.cuda.loadMatrix(checkpoint, names, rows, cols));
    }

    /** The least gap, over tokens, between the logits of a token's k-th and (k+1)-th experts. */
    private static double smallestRouterMargin(float[] logits, int numExperts, int topK) {
        double smallest = Double.POSITIVE_INFINITY;
        for (int t = 0; t < logits.length / numExperts; t++) {
            float[] row = Arrays.copyOfRange(logits, t * numExperts, (t + 1) * numExperts);
            Arrays.sort(row);
            if (topK < numExperts) {
                smallest = Math.min(smallest, row[numExperts - topK] - row[numExperts - topK - 1]);
            }
        }
        return smallest;
    }

    @Test
    void routingBeyondTheKernelsLimitsOrAnUnalignedInputIsRefused() {
        ForwardBatch batch = BackendPair.simpleBatch(3);
        pair.beginStep(batch);
        Pair<Tensor> logits = pair.randomActivation(3, 64, 1f, batch);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pair.cuda.routeExperts(logits.cuda(), new RouterSpec(33, true)));
        assertEquals("routeExperts: top-33 of 64 experts; the CUDA kernels route to at most 32 of at most 1024",
                e.getMessage());
        ExpertRouting routing = pair.cuda.routeExperts(logits.cuda(), new RouterSpec(2, true));
        Pair<Weight> experts = pair.matrix(64 * 16, 12, 0.2f);
        Pair<Tensor> x = pair.randomActivation(3, 12, 1f, batch);
        e = assertThrows(IllegalArgumentException.class,
                () -> pair.cuda.expertLinear(x.cuda(), routing, experts.cuda(), pair.cuda.allocate(6, 16)));
        assertEquals("expertLinear: the CUDA kernel reads rows in 16-byte chunks, so the input width must be a"
                + " multiple of 8, not 12", e.getMessage());
    }

    /** Both backends' routing of the same well-separated logits. */
    private static Pair<ExpertRouting> route(int numTokens, int numExperts, RouterSpec spec, ForwardBatch batch) {
        float[] logits = new float[numTokens * numExperts];
        for (int t = 0; t < numTokens; t++) {
            int[] order = pair.random.ints(0, Integer.MAX_VALUE).limit(numExperts).toArray();
            Integer[] experts = new Integer[numExperts];
            for (int e = 0; e < numExperts; e++) {
                experts[e] = e;
            }
            java.util.Arrays.sort(experts, java.util.Comparator.comparingInt(e -> order[e]));
            for (int rank = 0; rank < numExperts; rank++) {
                logits[t * numExperts + experts[rank]] = rank / 8f - 4f;
            }
        }
        Pair<Tensor> activation = pair.activation(logits, numTokens, numExperts, batch);
        return new Pair<>(pair.cpu.routeExperts(activation.cpu(), spec),
                pair.cuda.routeExperts(activation.cuda(), spec));
    }

    private static String context(String op, int numTokens, int numExperts) {
        return op + " with " + numTokens + " tokens over " + numExperts + " experts (seed " + SEED + ")";
    }

    /**
     * A sparse layer's experts on both backends: every chosen (token, expert) pair's gate/up product, SiLU-gated
     * product and down product, combined per token with the routing weights. {@code pairs} = tokens x top-k.
     */
    private static Pair<Tensor> expertMlp(Pair<Tensor> x, Pair<ExpertRouting> routing, Pair<Weight> gateUp,
                                          Pair<Weight> down, int pairs, int intermediate, int hidden) {
        Pair<Tensor> gateUpOut = pair.allocate(pairs, 2 * intermediate);
        Pair<Tensor> activated = pair.allocate(pairs, intermediate);
        Pair<Tensor> expertOut = pair.allocate(pairs, hidden);
        Pair<Tensor> out = pair.allocate(x.cpu().rows(), hidden);
        pair.cpu.expertLinear(x.cpu(), routing.cpu(), gateUp.cpu(), gateUpOut.cpu());
        pair.cuda.expertLinear(x.cuda(), routing.cuda(), gateUp.cuda(), gateUpOut.cuda());
        pair.cpu.siluMul(gateUpOut.cpu(), activated.cpu());
        pair.cuda.siluMul(gateUpOut.cuda(), activated.cuda());
        pair.cpu.expertLinear(activated.cpu(), routing.cpu(), down.cpu(), expertOut.cpu());
        pair.cuda.expertLinear(activated.cuda(), routing.cuda(), down.cuda(), expertOut.cuda());
        pair.cpu.combineExperts(expertOut.cpu(), routing.cpu(), out.cpu());
        pair.cuda.combineExperts(expertOut.cuda(), routing.cuda(), out.cuda());
        return out;
    }
}
