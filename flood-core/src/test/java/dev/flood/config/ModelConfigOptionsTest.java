package dev.flood.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.FloodException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The expert and sliding-window fields of config.json as the reader takes them (as written; the architecture
 * classes resolve them), and the options that no architecture of Flood implements, refused with a message that
 * names the file and the option.
 */
class ModelConfigOptionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tempDir;

    @Test
    void readsTinyQwen3MoeExpertsUnderTheirTransformers5Name() throws Exception {
        ModelConfig config = ModelConfigReader.read(resource("/fixtures/tiny-qwen3-moe"));
        // transformers 5 writes Qwen3-MoE's num_experts as num_local_experts
        assertEquals(new MoeConfig(8, 2, 32, true, 1, List.of()), config.moe());
        assertEquals(new SlidingWindowFields(0, false, false, 28, List.of()), config.slidingWindow());
    }

    @Test
    void readsTheQwen3MoeShapeWith128Experts() throws Exception {
        ModelConfig config = ModelConfigReader.read(resource("/shapes/qwen3-30b-a3b"));
        assertEquals(new MoeConfig(128, 8, 768, true, 1, List.of()), config.moe());
        assertEquals(6144, config.intermediateSize());
        assertEquals(48, config.numLayers());
    }

    @Test
    void readsMixtralWhoseExpertsAreAsWideAsItsMlp() throws Exception {
        ModelConfig config = ModelConfigReader.read(resource("/fixtures/tiny-mixtral"));
        assertEquals(new MoeConfig(4, 2, 96, false, 1, List.of()), config.moe());
        assertEquals(new SlidingWindowFields(0, false, false, 28, List.of()), config.slidingWindow());
    }

    @Test
    void readsMistralsWindowAndADenseModelHasNoExperts() throws Exception {
        ModelConfig config = ModelConfigReader.read(resource("/fixtures/tiny-mistral-sw"));
        assertEquals(new SlidingWindowFields(12, false, false, 28, List.of()), config.slidingWindow());
        assertNull(config.moe());
        assertEquals(SlidingWindowFields.ABSENT,
                ModelConfigReader.read(resource("/fixtures/tiny-llama")).slidingWindow());
    }

    @Test
    void readsQwenWindowFieldsAsWritten() throws Exception {
        Path dir = write(c -> c.put("use_sliding_window", true).put("sliding_window", 32).put("max_window_layers", 1)
                .set("layer_types", JSON.createArrayNode().add("full_attention").add("sliding_attention")
                        .add("sliding_attention")));
        assertEquals(new SlidingWindowFields(32, false, true, 1,
                        List.of("full_attention", "sliding_attention", "sliding_attention")),
                ModelConfigReader.read(dir).slidingWindow());
    }

    @Test
    void readsQwen3MoeLayoutFields() throws Exception {
        Path dir = write(c -> c.put("num_experts", 16).put("num_experts_per_tok", 4).put("moe_intermediate_size", 24)
                .put("decoder_sparse_step", 2).set("mlp_only_layers", JSON.createArrayNode().add(0)));
        assertEquals(new MoeConfig(16, 4, 24, false, 2, List.of(0)), ModelConfigReader.read(dir).moe());
    }

    @Test
    void refusesAnActivationOtherThanSilu() throws Exception {
        assertRefused(write(c -> c.put("hidden_act", "gelu_pytorch_tanh")),
                "'hidden_act' is 'gelu_pytorch_tanh': Flood's MLPs compute SiLU ('silu') only");
        ModelConfigReader.read(write(c -> c.put("hidden_act", "swish")));
    }

    @Test
    void refusesMlpBiases() throws Exception {
        assertRefused(write(c -> c.put("mlp_bias", true)), "'mlp_bias' is true: Flood's MLPs have no biases");
        ModelConfigReader.read(write(c -> c.put("mlp_bias", false)));
    }

    @Test
    void refusesPartialRotaryEmbeddings() throws Exception {
        assertRefused(write(c -> c.put("partial_rotary_factor", 0.5)),
                "'partial_rotary_factor' is 0.5: Flood rotates every dimension of each head (factor 1.0) only");
    }

    @Test
    void refusesLayerTypesFloodDoesNotImplementOrOfTheWrongLength() throws Exception {
        assertRefused(write(c -> c.set("layer_types", JSON.createArrayNode().add("full_attention")
                        .add("chunked_attention").add("full_attention"))),
                "layer_types has 'chunked_attention'; Flood implements full_attention and sliding_attention");
        assertRefused(write(c -> c.set("layer_types", JSON.createArrayNode().add("full_attention"))),
                "layer_types has 1 entries for 3 layers");
    }

    @Test
    void refusesANonPositiveWindow() throws Exception {
        assertRefused(write(c -> c.put("sliding_window", 0)), "'sliding_window' must be positive or null, got 0");
    }

    @Test
    void refusesInconsistentExpertFields() throws Exception {
        assertRefused(write(c -> c.put("num_experts", 4).put("num_experts_per_tok", 5)),
                "num_experts_per_tok must be between 1 and num_experts (4), got 5");
        assertRefused(write(c -> c.put("num_experts", 4).put("num_local_experts", 8).put("num_experts_per_tok", 2)),
                "'num_experts' (4) and 'num_local_experts' (8) disagree");
        assertRefused(write(c -> c.put("num_experts", 4).put("num_experts_per_tok", 2).put("decoder_sparse_step", 0)),
                "decoder_sparse_step must be at least 1, got 0");
        assertRefused(write(c -> c.put("num_local_experts", 4)), "missing 'num_experts_per_tok'");
    }

    private void assertRefused(Path dir, String message) {
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": " + message, e.getMessage());
    }

    private Path resource(String name) throws Exception {
        return Path.of(getClass().getResource(name).toURI());
    }

    /** A folder holding tiny-llama's config.json changed by {@code edit}. */
    private Path write(Consumer<ObjectNode> edit) throws Exception {
        ObjectNode config = (ObjectNode) JSON.readTree(resource("/fixtures/tiny-llama/config.json").toFile());
        edit.accept(config);
        Path dir = Files.createTempDirectory(tempDir, "model");
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }
}
