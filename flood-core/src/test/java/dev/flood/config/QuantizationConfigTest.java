package dev.flood.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flood.api.FloodException;
import dev.flood.weights.Fp8Scaling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuantizationConfigTest {

    @TempDir
    Path dir;

    private QuantizationConfig read(String quantization) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64, \"quantization_config\": " + quantization
                + "}");
        return QuantizationConfig.read(dir).orElseThrow();
    }

    private FloodException rejected(String quantization) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"quantization_config\": " + quantization + "}");
        return assertThrows(FloodException.class, () -> QuantizationConfig.read(dir));
    }

    @Test
    void aCheckpointWithoutQuantizationHasNone() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64, \"quantization_config\": null}");
        assertTrue(QuantizationConfig.read(dir).isEmpty());
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64}");
        assertTrue(QuantizationConfig.read(dir).isEmpty());
    }

    @Test
    void transformersFp8IsBlockScaledWithScaleInv() throws IOException {
        QuantizationConfig q = read("{\"quant_method\": \"fp8\", \"activation_scheme\": \"dynamic\", \"fmt\": \"e4m3\","
                + " \"weight_block_size\": [128, 128], \"modules_to_not_convert\": [\"lm_head\"]}");
        assertEquals(Fp8Scaling.BLOCK_128, q.scaling());
        assertEquals("model.layers.0.mlp.down_proj.weight_scale_inv",
                q.scaleName("model.layers.0.mlp.down_proj.weight"));
    }

    @Test
    void compressedTensorsStrategiesMapToScalings() throws IOException {
        String template = "{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\","
                + " \"config_groups\": {\"group_0\": {\"targets\": [\"Linear\"], \"weights\": {\"num_bits\": 8,"
                + " \"type\": \"float\","
                + " \"strategy\": \"%s\"%s}, \"input_activations\": {\"num_bits\": 8, \"type\": \"float\","
                + " \"strategy\": \"token\", \"dynamic\": true}}}, \"ignore\": [\"lm_head\"]}";
        QuantizationConfig channel = read(String.format(template, "channel", ""));
        assertEquals(Fp8Scaling.PER_CHANNEL, channel.scaling());
        assertEquals("x.weight_scale", channel.scaleName("x.weight"));
        assertEquals(Fp8Scaling.PER_TENSOR, read(String.format(template, "tensor", "")).scaling());
        assertEquals(Fp8Scaling.BLOCK_128, read(String.format(template, "block",
                ", \"block_structure\": [128, 128]")).scaling());
    }

    /** Every integer format is refused with the file and the method named, not loaded as if unquantized. */
    @ParameterizedTest
    @ValueSource(strings = {"gptq", "awq", "bitsandbytes", "hqq", "eetq"})
    void methodsFloodDoesNotImplementAreRefusedNamingFileAndMethod(String method) throws IOException {
        FloodException e = rejected("{\"quant_method\": \"" + method + "\", \"bits\": 4}");
        assertEquals(dir.resolve("config.json") + ": 'quantization_config' has quant_method '" + method + "', which"
                + " Flood does not implement; Flood reads FP8 checkpoints with quant_method 'fp8' or"
                + " 'compressed-tensors'", e.getMessage());
    }

    @Test
    void unsupportedFormatsAreRejectedByName() throws IOException {
        FloodException awq = rejected("{\"quant_method\": \"awq\", \"bits\": 4}");
        assertTrue(awq.getMessage().endsWith("'quantization_config' has quant_method 'awq', which Flood does not"
                + " implement; Flood reads FP8 checkpoints with quant_method 'fp8' or 'compressed-tensors'"),
                awq.getMessage());
        FloodException blocks = rejected("{\"quant_method\": \"fp8\", \"weight_block_size\": [64, 64]}");
        assertTrue(blocks.getMessage().contains("weight_block_size must be [128, 128]"), blocks.getMessage());
        FloodException e5m2 = rejected("{\"quant_method\": \"fp8\", \"fmt\": \"e5m2\","
                + " \"weight_block_size\": [128, 128]}");
        assertTrue(e5m2.getMessage().contains("fmt 'e5m2' is not supported"), e5m2.getMessage());
        FloodException int8 = rejected("{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\","
                + " \"config_groups\": {\"g\": {\"weights\": {\"num_bits\": 8, \"type\": \"int\", \"strategy\":"
                + " \"channel\"}}}}");
        assertTrue(int8.getMessage().contains("must be 8-bit float (FP8) weights, got type 'int'"), int8.getMessage());
        FloodException packed = rejected("{\"quant_method\": \"compressed-tensors\", \"format\": \"pack-quantized\"}");
        assertTrue(packed.getMessage().contains("format 'pack-quantized' is not supported"), packed.getMessage());
        FloodException mixed = rejected("{\"quant_method\": \"compressed-tensors\", \"format\": \"float-quantized\","
                + " \"config_groups\": {\"a\": {\"weights\": {\"num_bits\": 8, \"type\": \"float\", \"strategy\":"
                + " \"channel\"}}, \"b\": {\"weights\": {\"num_bits\": 8, \"type\": \"float\", \"strategy\":"
                + " \"tensor\"}}}}");
        assertTrue(mixed.getMessage().contains("mix weight strategies"), mixed.getMessage());
        assertTrue(rejected("[1]").getMessage().endsWith("'quantization_config' must be an object, got [1]"));
    }
}
