package dev.flood.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.backend.RouterSpec;
import dev.flood.config.ModelConfig;
import dev.flood.config.ModelConfigReader;
import dev.flood.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How each architecture reads the options its transformers config reads: which layers are sparse and how they
 * route, each layer's sliding window, and the attention biases; and what it refuses.
 */
class ArchitecturesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tempDir;

    @Test
    void qwen3MoeLayersAreSparseByStepUnlessMlpOnly() throws Exception {
        DecoderOptions options = options("tiny-qwen3-moe", c -> c.put("num_hidden_layers", 6)
                .put("decoder_sparse_step", 2).set("mlp_only_layers", JSON.createArrayNode().add(3)));
        FeedForwardSpec dense = new FeedForwardSpec.Dense(128);
        FeedForwardSpec sparse = new FeedForwardSpec.Sparse(8, 32, new RouterSpec(2, true));
        FeedForwardSpec[] expected = {dense, sparse, dense, dense, dense, sparse};
        for (int layer = 0; layer < expected.length; layer++) {
            assertEquals(expected[layer], options.layers().get(layer).feedForward(), "layer " + layer);
        }
        assertTrue(options.qkNorm());
        assertFalse(options.qkvBias());
    }

    @Test
    void qwen3MoeRenormalizesOnlyWithNormTopkProbAndWithoutExpertsIsDense() throws Exception {
        DecoderOptions options = options("tiny-qwen3-moe", c -> c.put("norm_topk_prob", false));
        assertEquals(new FeedForwardSpec.Sparse(8, 32, new RouterSpec(2, false)),
                options.layers().get(0).feedForward());
        options = options("tiny-qwen3-moe", c -> c.put("num_local_experts", 0));
        assertEquals(new FeedForwardSpec.Dense(128), options.layers().get(2).feedForward());
    }

    @Test
    void mixtralRoutesEveryLayerAndAlwaysRenormalizes() throws Exception {
        DecoderOptions options = options("tiny-mixtral", c -> c.put("norm_topk_prob", false));
        for (LayerOptions layer : options.layers()) {
            assertEquals(new FeedForwardSpec.Sparse(4, 96, new RouterSpec(2, true)), layer.feedForward());
            assertEquals(0, layer.slidingWindow());
        }
        assertArrayEquals(new int[] {24, 24}, windows(options("tiny-mixtral", c -> c.put("sliding_window", 24))));
        assertEquals("'num_local_experts' is missing: a Mixtral config names its experts", refusal("tiny-mixtral",
                c -> c.remove("num_local_experts")));
    }

    @Test
    void mistralWindowsEveryLayerWith4096WhenTheKeyIsAbsent() throws Exception {
        assertArrayEquals(new int[] {12, 12}, windows(options("tiny-mistral-sw", c -> { })));
        assertArrayEquals(new int[] {0, 0}, windows(options("tiny-mistral-sw", c -> c.putNull("sliding_window"))));
        assertArrayEquals(new int[] {4096, 4096}, windows(options("tiny-mistral-sw", c -> c.remove("sliding_window"))));
        assertFalse(options("tiny-mistral-sw", c -> c.put("attention_bias", true)).qkvBias());
    }

    @Test
    void qwen2WindowsTheLayersFromMaxWindowLayersOrAsLayerTypesSay() throws Exception {
        assertArrayEquals(new int[] {0, 0}, windows(options("tiny-qwen2", c -> c.put("sliding_window", 32))));
        assertArrayEquals(new int[] {0, 32}, windows(options("tiny-qwen2", c -> c.put("use_sliding_window", true)
                .put("sliding_window", 32).put("max_window_layers", 1).remove("layer_types"))));
        assertArrayEquals(new int[] {32, 0}, windows(options("tiny-qwen2", c -> c.put("use_sliding_window", true)
                .put("sliding_window", 32).set("layer_types", JSON.createArrayNode().add("sliding_attention")
                        .add("full_attention")))));
        assertEquals("'layer_types' marks layer 1 'sliding_attention' but the window is off ('use_sliding_window'"
                        + " false, 'sliding_window' 32)",
                refusal("tiny-qwen2", c -> c.put("sliding_window", 32).set("layer_types",
                        JSON.createArrayNode().add("full_attention").add("sliding_attention"))));
    }

    @Test
    void qwen3MoeWindowsEveryLayerWhenUseSlidingWindow() throws Exception {
        assertArrayEquals(new int[] {64, 64, 64}, windows(options("tiny-qwen3-moe",
                c -> c.put("use_sliding_window", true).put("sliding_window", 64))));
    }

    @Test
    void attentionBiasCoversTheOutputProjectionExceptInQwen2() throws Exception {
        DecoderOptions llama = options("tiny-llama", c -> c.put("attention_bias", true).put("sliding_window", 8));
        assertTrue(llama.qkvBias() && llama.outputBias());
        assertArrayEquals(new int[] {0, 0, 0}, windows(llama));
        DecoderOptions qwen2 = options("tiny-qwen2", c -> { });
        assertTrue(qwen2.qkvBias() && !qwen2.outputBias());
        DecoderOptions qwen3 = options("tiny-qwen3", c -> c.put("attention_bias", true));
        assertTrue(qwen3.qkvBias() && qwen3.outputBias());
    }

    private static int[] windows(DecoderOptions options) {
        return options.layers().stream().mapToInt(LayerOptions::slidingWindow).toArray();
    }

    private DecoderOptions options(String fixture, Consumer<ObjectNode> edit) throws Exception {
        ModelConfig config = ModelConfigReader.read(write(fixture, edit));
        return ModelRegistry.architecture(config.architecture()).options(config);
    }

    private String refusal(String fixture, Consumer<ObjectNode> edit) throws Exception {
        ModelConfig config = ModelConfigReader.read(write(fixture, edit));
        return assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.architecture(config.architecture()).options(config)).getMessage();
    }

    /** A folder holding the fixture's config.json changed by {@code edit}. */
    private Path write(String fixture, Consumer<ObjectNode> edit) throws Exception {
        ObjectNode config = (ObjectNode) JSON.readTree(Fixtures.model(fixture).resolve("config.json").toFile());
        edit.accept(config);
        Path dir = Files.createTempDirectory(tempDir, fixture);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }
}
