package dev.flood.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A known architecture whose config.json asks for something Flood does not implement is refused when the engine
 * opens, with a message naming the file and the option, both for options no architecture implements (read by the
 * config reader) and for those whose meaning is the architecture's (read by its class).
 */
class UnsupportedOptionsTest {

    @TempDir
    Path temp;

    @Test
    void anActivationFloodDoesNotCompute() throws IOException {
        Path model = copy("tiny-llama", "\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"");
        assertRefused(model, "'hidden_act' is 'gelu': Flood's MLPs compute SiLU ('silu') only");
    }

    @Test
    void aQuantizationFloodDoesNotRead() throws IOException {
        Path model = copy("tiny-qwen3-moe", "\"norm_topk_prob\": true,",
                "\"norm_topk_prob\": true, \"quantization_config\": {\"quant_method\": \"awq\"},");
        assertRefused(model, "'quantization_config' has quant_method 'awq', which Flood does not implement; Flood"
                + " reads FP8 checkpoints with quant_method 'fp8' or 'compressed-tensors'");
    }

    @Test
    void aSlidingLayerWithTheWindowOff() throws IOException {
        Path model = copy("tiny-qwen2", "\"full_attention\"\n  ]", "\"sliding_attention\"\n  ]");
        assertRefused(model, "Qwen2ForCausalLM: 'layer_types' marks layer 1 'sliding_attention' but the window is off"
                + " ('use_sliding_window' false, 'sliding_window' null)");
    }

    @Test
    void aMixtralWithoutExperts() throws IOException {
        Path model = copy("tiny-mixtral", "\"num_local_experts\": 4,", "");
        assertRefused(model, "MixtralForCausalLM: 'num_local_experts' is missing: a Mixtral config names its experts");
    }

    private static void assertRefused(Path model, String message) {
        FloodException e = assertThrows(FloodException.class,
                () -> FloodEngine.open(EngineConfig.builder(model).threads(1).build()).close());
        assertEquals(model.resolve("config.json") + ": " + message, e.getMessage());
    }

    /** A copy of the fixture whose config.json has {@code from} replaced by {@code to}. */
    private Path copy(String fixture, String from, String to) throws IOException {
        Path dir = Files.createDirectories(temp.resolve(fixture));
        try (var files = Files.list(Fixtures.model(fixture))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path config = dir.resolve("config.json");
        String text = Files.readString(config);
        if (!text.contains(from)) {
            throw new IllegalStateException(fixture + "'s config.json has no " + from);
        }
        Files.writeString(config, text.replace(from, to));
        return dir;
    }
}
