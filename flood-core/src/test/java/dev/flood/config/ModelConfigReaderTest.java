package dev.flood.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flood.api.FloodException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tempDir;

    @Test
    void readsTinyLlamaInTransformers5Style() throws Exception {
        ModelConfig expected = new ModelConfig("LlamaForCausalLM", 1024, 64, 176, 3, 4, 2, 16, 1e-5,
                RopeConfig.defaultRope(10000.0), 512, false, false, 0, List.of(1), "bfloat16");
        assertEquals(expected, ModelConfigReader.read(resource("/fixtures/tiny-llama")));
    }

    @Test
    void readsTinyQwen2InTransformers4StyleWithDerivedHeadDim() throws Exception {
        // no head_dim, no num_key_value_heads default needed (1 given), no attention_bias: 64 / 4 heads = 16
        // sliding_window null, use_sliding_window false, max_window_layers 28, layer_types given
        ModelConfig expected = new ModelConfig("Qwen2ForCausalLM", 1024, 64, 160, 2, 4, 1, 16, 1e-6,
                RopeConfig.defaultRope(1_000_000.0), 512, true, false, 0, List.of(1), "bfloat16", null,
                new SlidingWindowFields(0, false, false, 28, List.of("full_attention", "full_attention")));
        assertEquals(expected, ModelConfigReader.read(resource("/fixtures/tiny-qwen2")));
    }

    @Test
    void readsTinyQwen3WithHeadDimIndependentOfHiddenSize() throws Exception {
        ModelConfig expected = new ModelConfig("Qwen3ForCausalLM", 1024, 64, 192, 3, 4, 2, 32, 1e-6,
                RopeConfig.defaultRope(1_000_000.0), 512, true, false, 0, List.of(1), "bfloat16", null,
                new SlidingWindowFields(0, false, false, 28, List.of("full_attention", "full_attention",
                        "full_attention")));
        ModelConfig actual = ModelConfigReader.read(resource("/fixtures/tiny-qwen3"));
        assertEquals(expected, actual);
        assertEquals(128, actual.qSize());
        assertEquals(64, actual.kvSize());
    }

    @Test
    void readsLlama31With8xLlama3RopeScaling() throws Exception {
        ModelConfig expected = new ModelConfig("LlamaForCausalLM", 128256, 4096, 14336, 32, 32, 8, 128, 1e-5,
                new RopeConfig("llama3", 500000.0, 8.0, 1.0, 4.0, 8192), 131072, false, false, 128000,
                List.of(128001), "bfloat16");
        assertEquals(expected, ModelConfigReader.read(resource("/shapes/llama-3.1-8b")));
    }

    @Test
    void readsLlama32With32xLlama3RopeScalingAndTiedEmbeddings() throws Exception {
        ModelConfig expected = new ModelConfig("LlamaForCausalLM", 128256, 2048, 8192, 16, 32, 8, 64, 1e-5,
                new RopeConfig("llama3", 500000.0, 32.0, 1.0, 4.0, 8192), 131072, true, false, 128000,
                List.of(128001), "bfloat16");
        assertEquals(expected, ModelConfigReader.read(resource("/shapes/llama-3.2-1b")));
    }

    @Test
    void readsQwen3ShapeWithoutRopeScaling() throws Exception {
        ModelConfig expected = new ModelConfig("Qwen3ForCausalLM", 151936, 1024, 3072, 28, 16, 8, 128, 1e-6,
                RopeConfig.defaultRope(1_000_000.0), 40960, true, false, 151643, List.of(151645), "bfloat16");
        assertEquals(expected, ModelConfigReader.read(resource("/shapes/qwen3-0.6b")));
    }

    @Test
    void llama3InverseFrequenciesMatchHuggingFaceFormula() throws Exception {
        for (String shape : List.of("/shapes/llama-3.1-8b", "/shapes/llama-3.2-1b")) {
            ModelConfig config = ModelConfigReader.read(resource(shape));
            RopeConfig rope = config.rope();
            float[] actual = rope.inverseFrequencies(config.headDim());
            double[] expected = huggingFaceLlama3(rope.theta(), config.headDim(), rope.factor(),
                    rope.lowFreqFactor(), rope.highFreqFactor(), rope.originalMaxPositions());
            assertEquals(config.headDim() / 2, actual.length);
            int[] bandCounts = new int[3];
            for (int i = 0; i < expected.length; i++) {
                // Flood computes the base frequencies in float32 as transformers does; a few float32 roundings
                // of a value computed exactly here stay well within 1e-6 relative.
                assertEquals(expected[i], actual[i], 1e-6 * expected[i], shape + " inv_freq[" + i + "]");
                double wavelen = 2 * Math.PI / (1.0 / Math.pow(rope.theta(), 2.0 * i / config.headDim()));
                bandCounts[wavelen < rope.originalMaxPositions() / rope.highFreqFactor() ? 0
                        : wavelen > rope.originalMaxPositions() / rope.lowFreqFactor() ? 2 : 1]++;
            }
            // The check means something only if the unscaled, smoothed and scaled bands all occur.
            for (int count : bandCounts) {
                assertTrue(count > 0, shape + " band counts " + Arrays.toString(bandCounts));
            }
        }
    }

    /** transformers' {@code _compute_llama3_parameters}, in doubles. */
    private static double[] huggingFaceLlama3(double theta, int headDim, double factor, double lowFreqFactor,
                                              double highFreqFactor, int originalMaxPositions) {
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
        double highFreqWavelen = originalMaxPositions / highFreqFactor;
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            double base = 1.0 / Math.pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / base;
            if (wavelen < highFreqWavelen) {
                inv[i] = base;
            } else if (wavelen > lowFreqWavelen) {
                inv[i] = base / factor;
            } else {
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * base / factor + smooth * base;
            }
        }
        return inv;
    }

    @Test
    void readsLlama3RopeParametersInTransformers5Style() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        ObjectNode rope = config.putObject("rope_parameters");
        rope.put("rope_type", "llama3").put("rope_theta", 500000.0).put("factor", 8.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        assertEquals(new RopeConfig("llama3", 500000.0, 8.0, 1.0, 4.0, 64),
                ModelConfigReader.read(write(config)).rope());
    }

    @Test
    void readsLegacyRopeScalingTypeKey() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.remove("rope_parameters");
        config.put("rope_theta", 250000.0);
        config.putObject("rope_scaling").put("type", "llama3").put("factor", 2.0).put("low_freq_factor", 1.5)
                .put("high_freq_factor", 3.0).put("original_max_position_embeddings", 256);
        assertEquals(new RopeConfig("llama3", 250000.0, 2.0, 1.5, 3.0, 256),
                ModelConfigReader.read(write(config)).rope());
    }

    @Test
    void appliesDefaultsForOptionalFields() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        for (String field : List.of("rope_parameters", "dtype", "head_dim", "num_key_value_heads",
                "tie_word_embeddings", "attention_bias", "bos_token_id", "eos_token_id")) {
            config.remove(field);
        }
        Path dir = write(config);
        Files.delete(dir.resolve("generation_config.json"));
        ModelConfig read = ModelConfigReader.read(dir);
        ModelConfig expected = new ModelConfig("LlamaForCausalLM", 1024, 64, 176, 3, 4, 4, 16, 1e-5,
                RopeConfig.defaultRope(10000.0), 512, false, false, -1, List.of(), "float32");
        assertEquals(expected, read);
    }

    @Test
    void eosIdsAreTheOrderedUnionOfBothFiles() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.putArray("eos_token_id").add(7).add(3);
        Path dir = write(config);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [3, 9, 7, 11]}");
        assertEquals(List.of(7, 3, 9, 11), ModelConfigReader.read(dir).eosTokenIds());

        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 5}");
        assertEquals(List.of(7, 3, 5), ModelConfigReader.read(dir).eosTokenIds());

        config.putNull("eos_token_id");
        write(config, dir);
        assertEquals(List.of(5), ModelConfigReader.read(dir).eosTokenIds());
    }

    @Test
    void missingFolderOrConfigFile() {
        Path missing = tempDir.resolve("nowhere");
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(missing));
        assertEquals("no config.json in " + missing, e.getMessage());
        e = assertThrows(FloodException.class, () -> ModelConfigReader.read(tempDir));
        assertEquals("no config.json in " + tempDir, e.getMessage());
    }

    @Test
    void malformedJson() throws Exception {
        Files.writeString(tempDir.resolve("config.json"), "{\"hidden_size\": 64,");
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(tempDir));
        assertTrue(e.getMessage().startsWith("malformed JSON in " + tempDir.resolve("config.json") + ": "),
                e.getMessage());

        Files.writeString(tempDir.resolve("config.json"), "[1, 2]");
        e = assertThrows(FloodException.class, () -> ModelConfigReader.read(tempDir));
        assertEquals("malformed JSON in " + tempDir.resolve("config.json") + ": expected an object at the top level",
                e.getMessage());
    }

    @Test
    void malformedGenerationConfigNamesThatFile() throws Exception {
        Path dir = write(tinyLlamaConfig());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 1} trailing");
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertTrue(e.getMessage().startsWith("malformed JSON in " + dir.resolve("generation_config.json")),
                e.getMessage());

        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, \"two\"]}");
        e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("generation_config.json") + ": 'eos_token_id' must be a 32-bit integer, got \"two\"",
                e.getMessage());
    }

    @Test
    void missingRequiredField() throws Exception {
        for (String field : List.of("hidden_size", "vocab_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "rms_norm_eps", "max_position_embeddings")) {
            ObjectNode config = tinyLlamaConfig();
            config.remove(field);
            Path dir = write(config);
            FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
            assertEquals(dir.resolve("config.json") + ": missing '" + field + "'", e.getMessage());
        }
    }

    @Test
    void missingOrEmptyArchitectures() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.remove("architectures");
        Path dir = write(config);
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": missing 'architectures' (the model class, e.g. "
                + "[\"LlamaForCausalLM\"])", e.getMessage());

        config.putArray("architectures");
        write(config, dir);
        e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": 'architectures' is empty; it must name the model class, e.g. "
                + "[\"LlamaForCausalLM\"]", e.getMessage());
    }

    @Test
    void wrongTypes() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.put("num_hidden_layers", "three");
        Path dir = write(config);
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": 'num_hidden_layers' must be a 32-bit integer, got \"three\"",
                e.getMessage());

        config = tinyLlamaConfig();
        config.put("tie_word_embeddings", 1);
        write(config, dir);
        e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": 'tie_word_embeddings' must be a boolean, got 1", e.getMessage());

        config = tinyLlamaConfig();
        ((ObjectNode) config.get("rope_parameters")).put("rope_theta", "big");
        write(config, dir);
        e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": 'rope_parameters.rope_theta' must be a number, got \"big\"",
                e.getMessage());
    }

    @Test
    void llama3ScalingWithoutItsParameters() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.remove("rope_parameters");
        config.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0);
        Path dir = write(config);
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": missing 'rope_scaling.low_freq_factor'", e.getMessage());
    }

    @Test
    void unsupportedRopeTypesListTheSupportedOnes() throws Exception {
        for (String type : List.of("linear", "dynamic", "yarn")) {
            ObjectNode config = tinyLlamaConfig();
            config.remove("rope_parameters");
            config.putObject("rope_scaling").put("rope_type", type).put("factor", 4.0);
            Path dir = write(config);
            FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
            assertEquals(dir.resolve("config.json") + ": unsupported rope type '" + type
                    + "' (supported: default, llama3)", e.getMessage());
        }
    }

    @Test
    void headsNotDivisibleByKvHeads() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.put("num_key_value_heads", 3);
        Path dir = write(config);
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": num_attention_heads (4) must be a multiple of "
                + "num_key_value_heads (3)", e.getMessage());
    }

    @Test
    void hiddenSizeNotDivisibleByHeadsWithoutHeadDim() throws Exception {
        ObjectNode config = tinyLlamaConfig();
        config.remove("head_dim");
        config.put("num_attention_heads", 6);
        config.put("num_key_value_heads", 3);
        Path dir = write(config);
        FloodException e = assertThrows(FloodException.class, () -> ModelConfigReader.read(dir));
        assertEquals(dir.resolve("config.json") + ": hidden_size (64) is not a multiple of num_attention_heads (6)"
                + " and there is no head_dim", e.getMessage());
    }

    private Path resource(String name) throws URISyntaxException {
        return Path.of(getClass().getResource(name).toURI());
    }

    private ObjectNode tinyLlamaConfig() throws Exception {
        return (ObjectNode) JSON.readTree(resource("/fixtures/tiny-llama/config.json").toFile());
    }

    /** A fresh folder holding this config.json and tiny-llama's generation_config.json. */
    private Path write(ObjectNode config) throws Exception {
        Path dir = Files.createTempDirectory(tempDir, "model");
        Files.copy(resource("/fixtures/tiny-llama/generation_config.json"), dir.resolve("generation_config.json"));
        write(config, dir);
        return dir;
    }

    private static void write(ObjectNode config, Path dir) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
    }
}
