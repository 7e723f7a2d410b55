package dev.flood.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodException;
import dev.flood.weights.Fp8Scaling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a checkpoint stores quantized weights, from {@code config.json}'s {@code quantization_config}. Flood reads
 * the two FP8 formats Hugging Face checkpoints come in:
 * <ul>
 *   <li>{@code quant_method: "fp8"} (transformers' FineGrainedFP8Config): E4M3 weights with a float32
 *       {@code <name>_scale_inv} per 128 x 128 block ({@code weight_block_size: [128, 128]}), multiplied in;
 *   <li>{@code quant_method: "compressed-tensors"} (llm-compressor, format {@code float-quantized}): E4M3 weights of
 *       8-bit float schemes with a {@code <name>_scale} per output channel ({@code strategy: "channel"}), per
 *       tensor ({@code "tensor"}) or per 128 x 128 block ({@code "block"}).
 * </ul>
 * Which tensors are quantized is read from their stored type (F8_E4M3); modules left in bf16 (the lm_head,
 * usually) need no list. Activations are quantized per token at run time whatever the checkpoint's activation
 * scheme says, so static input scales are not read.
 *
 * @param method      the {@code quant_method}
 * @param scaling     how the weights' scales are laid out
 * @param scaleSuffix appended to a weight's name for its scales' name ({@code weight} becomes {@code weight_scale})
 */
public record QuantizationConfig(String method, Fp8Scaling scaling, String scaleSuffix) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The name of the scales of weight {@code weightName}. */
    public String scaleName(String weightName) {
        return weightName + scaleSuffix;
    }

    /** The quantization of the checkpoint in {@code modelDir}, or empty for a checkpoint without one. */
    public static Optional<QuantizationConfig> read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new FloodException("malformed JSON in " + file + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new FloodException("cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode node = root == null ? null : root.get("quantization_config");
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            throw error(file, "'quantization_config' must be an object, got " + node);
        }
        String method = text(file, node, "quant_method");
        return Optional.of(switch (method) {
            case "fp8" -> fineGrainedFp8(file, node);
            case "compressed-tensors" -> compressedTensors(file, node);
            default -> throw error(file, "'quantization_config' has quant_method '" + method + "', which Flood"
                    + " does not implement; Flood reads FP8 checkpoints with quant_method 'fp8' or"
                    + " 'compressed-tensors'");
        });
    }

    private static QuantizationConfig fineGrainedFp8(Path file, JsonNode node) {
        JsonNode format = node.get("fmt");
        if (format != null && !format.isNull() && !format.asText().equals("e4m3")) {
            throw error(file, "quantization_config.fmt '" + format.asText() + "' is not supported; Flood reads"
                    + " E4M3 weights");
        }
        JsonNode block = node.get("weight_block_size");
        if (block == null || !isBlock128(block)) {
            throw error(file, "quantization_config.weight_block_size must be [128, 128] (the blocks cuBLASLt"
                    + " scales on Hopper), got " + block);
        }
        return new QuantizationConfig("fp8", Fp8Scaling.BLOCK_128, "_scale_inv");
    }

    private static QuantizationConfig compressedTensors(Path file, JsonNode node) {
        String format = node.has("format") ? node.get("format").asText() : "";
        if (!format.equals("float-quantized") && !format.equals("naive-quantized")) {
            throw error(file, "compressed-tensors format '" + format + "' is not supported; Flood reads"
                    + " 'float-quantized' FP8 checkpoints");
        }
        JsonNode groups = node.get("config_groups");
        if (groups == null || !groups.isObject() || groups.isEmpty()) {
            throw error(file, "quantization_config.config_groups must be a non-empty object");
        }
        List<Fp8Scaling> scalings = new ArrayList<>();
        for (var group : groups.properties()) {
            JsonNode weights = group.getValue().get("weights");
            String where = "quantization_config.config_groups." + group.getKey() + ".weights";
            if (weights == null || !weights.isObject()) {
                throw error(file, where + " must be an object");
            }
            if (!weights.path("type").asText().equals("float") || weights.path("num_bits").asInt() != 8) {
                throw error(file, where + " must be 8-bit float (FP8) weights, got type '"
                        + weights.path("type").asText() + "' with " + weights.path("num_bits").asInt() + " bits");
            }
            String strategy = weights.path("strategy").asText();
            scalings.add(switch (strategy) {
                case "channel" -> Fp8Scaling.PER_CHANNEL;
                case "tensor" -> Fp8Scaling.PER_TENSOR;
                case "block" -> {
                    if (!isBlock128(weights.get("block_structure"))) {
                        throw error(file, where + ".block_structure must be [128, 128], got "
                                + weights.get("block_structure"));
                    }
                    yield Fp8Scaling.BLOCK_128;
                }
                default -> throw error(file, where + ".strategy '" + strategy + "' is not supported (channel,"
                        + " tensor or block)");
            });
        }
        if (scalings.stream().distinct().count() > 1) {
            throw error(file, "quantization_config.config_groups mix weight strategies " + scalings
                    + "; Flood reads one per checkpoint");
        }
        return new QuantizationConfig("compressed-tensors", scalings.get(0), "_scale");
    }

    private static boolean isBlock128(JsonNode block) {
        return block != null && block.isArray() && block.size() == 2 && block.get(0).asInt() == Fp8Scaling.BLOCK
                && block.get(1).asInt() == Fp8Scaling.BLOCK;
    }

    private static String text(Path file, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw error(file, "quantization_config." + field + " must be a string, got " + value);
        }
        return value.textValue();
    }

    private static FloodException error(Path file, String message) {
        return new FloodException(file + ": " + message);
    }
}
