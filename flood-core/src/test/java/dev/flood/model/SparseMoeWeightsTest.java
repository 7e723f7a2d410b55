package dev.flood.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.backend.Weight;
import dev.flood.backend.cpu.CpuBackend;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import dev.flood.testing.ForwardingBackend;
import dev.flood.weights.SafetensorsCheckpoint;
import dev.flood.weights.WeightSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a sparse layer's weights reach the backend: the router and every expert through {@code loadMatrix} (so a
 * backend never quantizes them: under {@code quantization fp8} the CUDA backend keeps them bf16, and the grouped
 * expert GEMM reads bf16), stacked as the grouped kernels read them: the gate/up matrix holds expert e's gate rows
 * then its up rows, one expert after another, and the down matrix each expert's down rows in turn. Only the
 * attention projections (and dense MLPs) go through {@code loadLinear}.
 */
class SparseMoeWeightsTest {

    /** Every load, in order: which method, the checkpoint names and rows per part. */
    private record Load(String method, List<String> names, List<Integer> rows, int cols) {
    }

    private static final class Recording extends ForwardingBackend {
        final List<Load> loads = new ArrayList<>();

        Recording() {
            super(new CpuBackend(1));
        }

        @Override
        public Weight loadMatrix(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
            loads.add(new Load("loadMatrix", names, rowsPerPart, cols));
            return super.loadMatrix(source, names, rowsPerPart, cols);
        }

        @Override
        public Weight loadLinear(WeightSource source, List<String> names, List<Integer> rowsPerPart, int cols) {
            loads.add(new Load("loadLinear", names, rowsPerPart, cols));
            return super.loadLinear(source, names, rowsPerPart, cols);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen3-moe", "tiny-mixtral"})
    void routerAndExpertsLoadAsPlainMatricesStackedByExpert(String name) {
        ModelConfig config = ModelConfigReader.read(Fixtures.model(name));
        boolean mixtral = name.equals("tiny-mixtral");
        String experts = mixtral ? "block_sparse_moe.experts." : "mlp.experts.";
        String gate = mixtral ? "w1" : "gate_proj";
        String up = mixtral ? "w3" : "up_proj";
        String down = mixtral ? "w2" : "down_proj";
        String router = mixtral ? "block_sparse_moe.gate.weight" : "mlp.gate.weight";
        int numExperts = config.moe().numExperts();
        int width = config.moe().expertIntermediateSize();
        int hidden = config.hiddenSize();
        try (Recording backend = new Recording();
             SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(Fixtures.model(name))) {
            CausalLM.load(config, weights, backend);
            for (Load load : backend.loads) {
                if (load.method().equals("loadLinear")) {
                    assertFalse(load.names().stream().anyMatch(n -> n.contains("experts.") || n.endsWith(router)),
                            "a router or expert weight loaded as a linear layer (quantizable): " + load);
                }
            }
            for (int layer = 0; layer < config.numLayers(); layer++) {
                String prefix = "model.layers." + layer + ".";
                List<String> gateUp = new ArrayList<>();
                List<String> downs = new ArrayList<>();
                for (int e = 0; e < numExperts; e++) {
                    gateUp.add(prefix + experts + e + "." + gate + ".weight");
                    gateUp.add(prefix + experts + e + "." + up + ".weight");
                    downs.add(prefix + experts + e + "." + down + ".weight");
                }
                assertTrue(backend.loads.contains(new Load("loadMatrix", List.of(prefix + router),
                        List.of(numExperts), hidden)), "layer " + layer + "'s router [" + numExperts + ", " + hidden
                        + "]: " + backend.loads);
                assertTrue(backend.loads.contains(new Load("loadMatrix", gateUp,
                        Collections.nCopies(2 * numExperts, width), hidden)),
                        "layer " + layer + "'s gate/up, expert by expert");
                assertTrue(backend.loads.contains(new Load("loadMatrix", downs,
                        Collections.nCopies(numExperts, hidden), width)),
                        "layer " + layer + "'s down, expert by expert");
            }
            assertEquals(3 * config.numLayers(), backend.loads.stream()
                    .filter(l -> l.names().stream().anyMatch(n -> n.contains("experts.") || n.endsWith(router)))
                    .count(), "three expert loads per sparse layer");
        }
    }
}
