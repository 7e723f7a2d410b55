package dev.flood.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.FloodException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a Hugging Face model folder's {@code config.json} (and {@code generation_config.json}, if present) into a
 * {@link ModelConfig}.
 *
 * <p>Both styles found in the wild are accepted:
 * <ul>
 *   <li>transformers 5: {@code rope_parameters} {rope_theta, rope_type, factor, low_freq_factor, high_freq_factor,
 *       original_max_position_embeddings} and {@code dtype};</li>
 *   <li>transformers 4: top-level {@code rope_theta} (default 10000), {@code rope_scaling} (null, or an object
 *       naming its kind in {@code rope_type} or the older {@code type}) and {@code torch_dtype}.</li>
 * </ul>
 * Every problem is a {@link FloodException} whose message starts with the offending file's path. So is every
 * option that changes what the model computes and that no architecture of Flood implements (an activation other
 * than SiLU, MLP biases, partial rotary embeddings, a rope type other than default and llama3): refused here,
 * naming the option, rather than loaded and computed wrongly. ({@code quantization_config} is
 * {@link QuantizationConfig}'s to read, when the weights are.) Options whose meaning
 * differs by architecture (the sliding window, the experts) are read as written and resolved, or refused, by the
 * architecture class.
 */
public final class ModelConfigReader {

    private static final String CONFIG_FILE = "config.json";
    private static final String GENERATION_CONFIG_FILE = "generation_config.json";

    /** transformers' default base when a config names none. */
    private static final double DEFAULT_ROPE_THETA = 10000.0;
    /** transformers' default when a config declares no dtype. */
    private static final String DEFAULT_DTYPE = "float32";
    /** Names of the SiLU activation in transformers' ACT2FN, the only activation Flood's MLPs compute. */
    private static final Set<String> SILU = Set.of("silu", "swish");
    /** max_window_layers when absent: the default of Qwen2Config and Qwen3Config, the configs that read it. */
    private static final int DEFAULT_MAX_WINDOW_LAYERS = 28;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ModelConfigReader() {
    }

    /** Reads {@code modelDir/config.json}, and EOS ids from {@code modelDir/generation_config.json} if it exists. */
    public static ModelConfig read(Path modelDir) {
        Path configFile = modelDir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new FloodException("no " + CONFIG_FILE + " in " + modelDir);
        }
        JsonObject config = JsonObject.parse(configFile);
        refuseUnimplementedOptions(config);

        int hiddenSize = config.requiredInt("hidden_size");
        int numHeads = config.requiredInt("num_attention_heads");
        Set<Integer> eosTokenIds = new LinkedHashSet<>(config.tokenIds("eos_token_id"));
        Path generationConfigFile = modelDir.resolve(GENERATION_CONFIG_FILE);
        if (Files.isRegularFile(generationConfigFile)) {
            eosTokenIds.addAll(JsonObject.parse(generationConfigFile).tokenIds("eos_token_id"));
        }
        int intermediateSize = config.requiredInt("intermediate_size");
        try {
            return new ModelConfig(
                    architecture(config),
                    config.requiredInt("vocab_size"),
                    hiddenSize,
                    intermediateSize,
                    config.requiredInt("num_hidden_layers"),
                    numHeads,
                    config.optionalInt("num_key_value_heads", numHeads),
                    headDim(config, hiddenSize, numHeads),
                    config.requiredDouble("rms_norm_eps"),
                    rope(config),
                    config.requiredInt("max_position_embeddings"),
                    config.optionalBoolean("tie_word_embeddings", false),
                    config.optionalBoolean("attention_bias", false),
                    config.optionalInt("bos_token_id", -1),
                    List.copyOf(eosTokenIds),
                    dtype(config),
                    moe(config, intermediateSize),
                    slidingWindow(config));
        } catch (IllegalArgumentException e) {
            throw new FloodException(configFile + ": " + e.getMessage(), e);
        }
    }

    /** Options that no architecture of Flood implements, refused whatever the architecture. */
    private static void refuseUnimplementedOptions(JsonObject config) {
        String activation = config.optionalString("hidden_act", "silu");
        if (!SILU.contains(activation)) {
            throw config.error("'hidden_act' is '" + activation + "': Flood's MLPs compute SiLU ('silu') only");
        }
        if (config.optionalBoolean("mlp_bias", false)) {
            throw config.error("'mlp_bias' is true: Flood's MLPs have no biases");
        }
        double partialRotary = config.optionalDouble("partial_rotary_factor", 1.0);
        if (partialRotary != 1.0) {
            throw config.error("'partial_rotary_factor' is " + partialRotary
                    + ": Flood rotates every dimension of each head (factor 1.0) only");
        }
    }

    /** The expert fields, when the config has {@code num_experts} or {@code num_local_experts}; else null. */
    private static MoeConfig moe(JsonObject config, int intermediateSize) {
        boolean qwenName = config.has("num_experts");
        boolean mixtralName = config.has("num_local_experts");
        if (!qwenName && !mixtralName) {
            return null;
        }
        int numExperts = config.requiredInt(qwenName ? "num_experts" : "num_local_experts");
        if (qwenName && mixtralName && config.requiredInt("num_local_experts") != numExperts) {
            throw config.error("'num_experts' (" + numExperts + ") and 'num_local_experts' ("
                    + config.requiredInt("num_local_experts") + ") disagree");
        }
        return new MoeConfig(numExperts, config.requiredInt("num_experts_per_tok"),
                config.optionalInt("moe_intermediate_size", intermediateSize),
                config.optionalBoolean("norm_topk_prob", false),
                config.optionalInt("decoder_sparse_step", 1),
                config.intList("mlp_only_layers"));
    }

    private static SlidingWindowFields slidingWindow(JsonObject config) {
        int size = config.optionalInt("sliding_window", 0);
        if (config.has("sliding_window") && size <= 0) {
            throw config.error("'sliding_window' must be positive or null, got " + size);
        }
        return new SlidingWindowFields(size, !config.node.has("sliding_window"),
                config.optionalBoolean("use_sliding_window", false),
                config.optionalInt("max_window_layers", DEFAULT_MAX_WINDOW_LAYERS),
                config.stringList("layer_types"));
    }

    private static String architecture(JsonObject config) {
        JsonNode architectures = config.node.get("architectures");
        if (architectures == null || architectures.isNull()) {
            throw config.error("missing 'architectures' (the model class, e.g. [\"LlamaForCausalLM\"])");
        }
        if (!architectures.isArray()) {
            throw config.error("'architectures' must be a list of strings, got " + architectures);
        }
        if (architectures.isEmpty()) {
            throw config.error("'architectures' is empty; it must name the model class, e.g. [\"LlamaForCausalLM\"]");
        }
        if (!architectures.get(0).isTextual()) {
            throw config.error("'architectures' must be a list of strings, got " + architectures);
        }
        return architectures.get(0).textValue();
    }

    /** {@code head_dim} when given (Qwen3 sets it independently of the hidden size), else hidden / heads. */
    private static int headDim(JsonObject config, int hiddenSize, int numHeads) {
        if (config.has("head_dim")) {
            return config.requiredInt("head_dim");
        }
        if (numHeads > 0 && hiddenSize % numHeads != 0) {
            throw config.error("hidden_size (" + hiddenSize + ") is not a multiple of num_attention_heads ("
                    + numHeads + ") and there is no head_dim");
        }
        // A non-positive head count is reported by ModelConfig, which checks it before head_dim.
        return numHeads > 0 ? hiddenSize / numHeads : 0;
    }

    private static RopeConfig rope(JsonObject config) {
        JsonObject parameters = config.optionalObject("rope_parameters");
        if (parameters != null) {
            return rope(parameters, parameters.requiredDouble("rope_theta"));
        }
        double theta = config.optionalDouble("rope_theta", DEFAULT_ROPE_THETA);
        JsonObject scaling = config.optionalObject("rope_scaling");
        return scaling == null ? RopeConfig.defaultRope(theta) : rope(scaling, theta);
    }

    /** {@code parameters} is transformers 5's rope_parameters or transformers 4's rope_scaling. */
    private static RopeConfig rope(JsonObject parameters, double theta) {
        String type = parameters.has("rope_type")
                ? parameters.requiredString("rope_type")
                : parameters.optionalString("type", "default");
        if (!type.equals("llama3")) {
            // RopeConfig rejects every type other than default and llama3, listing the supported ones.
            return new RopeConfig(type, theta, 1.0, 1.0, 1.0, 0);
        }
        return new RopeConfig(type, theta,
                parameters.requiredDouble("factor"),
                parameters.requiredDouble("low_freq_factor"),
                parameters.requiredDouble("high_freq_factor"),
                parameters.requiredInt("original_max_position_embeddings"));
    }

    private static String dtype(JsonObject config) {
        if (config.has("dtype")) {
            return config.requiredString("dtype");
        }
        return config.optionalString("torch_dtype", DEFAULT_DTYPE);
    }

    /**
     * One JSON object of a config file with typed accessors. A field that is absent or JSON null counts as
     * missing; {@code prefix} makes nested fields read as {@code rope_scaling.factor} in messages.
     */
    private static final class JsonObject {
        private final Path file;
        private final String prefix;
        private final JsonNode node;

        private JsonObject(Path file, String prefix, JsonNode node) {
            this.file = file;
            this.prefix = prefix;
            this.node = node;
        }

        static JsonObject parse(Path file) {
            JsonNode root;
            try {
                root = JSON.readTree(Files.readAllBytes(file));
            } catch (JsonProcessingException e) {
                throw new FloodException("malformed JSON in " + file + ": " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new FloodException("cannot read " + file + ": " + e.getMessage(), e);
            }
            if (root == null || !root.isObject()) {
                throw new FloodException("malformed JSON in " + file + ": expected an object at the top level");
            }
            return new JsonObject(file, "", root);
        }

        FloodException error(String message) {
            return new FloodException(file + ": " + message);
        }

        boolean has(String field) {
            JsonNode value = node.get(field);
            return value != null && !value.isNull();
        }

        int requiredInt(String field) {
            return toInt(field, required(field));
        }

        int optionalInt(String field, int defaultValue) {
            return has(field) ? toInt(field, node.get(field)) : defaultValue;
        }

        double requiredDouble(String field) {
            return toDouble(field, required(field));
        }

        double optionalDouble(String field, double defaultValue) {
            return has(field) ? toDouble(field, node.get(field)) : defaultValue;
        }

        boolean optionalBoolean(String field, boolean defaultValue) {
            if (!has(field)) {
                return defaultValue;
            }
            JsonNode value = node.get(field);
            if (!value.isBoolean()) {
                throw wrongType(field, "a boolean", value);
            }
            return value.booleanValue();
        }

        String requiredString(String field) {
            return toText(field, required(field));
        }

        String optionalString(String field, String defaultValue) {
            return has(field) ? toText(field, node.get(field)) : defaultValue;
        }

        /** The nested object, or null when the field is absent or JSON null. */
        JsonObject optionalObject(String field) {
            if (!has(field)) {
                return null;
            }
            JsonNode value = node.get(field);
            if (!value.isObject()) {
                throw wrongType(field, "an object", value);
            }
            return new JsonObject(file, prefix + field + ".", value);
        }

        /** A list of integers; empty when absent or null. */
        List<Integer> intList(String field) {
            if (!has(field)) {
                return List.of();
            }
            JsonNode value = node.get(field);
            if (!value.isArray()) {
                throw wrongType(field, "a list of integers", value);
            }
            List<Integer> values = new ArrayList<>(value.size());
            for (JsonNode element : value) {
                values.add(toInt(field, element));
            }
            return values;
        }

        /** A list of strings; empty when absent or null. */
        List<String> stringList(String field) {
            if (!has(field)) {
                return List.of();
            }
            JsonNode value = node.get(field);
            if (!value.isArray()) {
                throw wrongType(field, "a list of strings", value);
            }
            List<String> values = new ArrayList<>(value.size());
            for (JsonNode element : value) {
                values.add(toText(field, element));
            }
            return values;
        }

        /** Token ids written as one integer, a list of integers, or null (none). */
        List<Integer> tokenIds(String field) {
            if (!has(field)) {
                return List.of();
            }
            JsonNode value = node.get(field);
            if (!value.isArray()) {
                return List.of(toInt(field, value));
            }
            List<Integer> ids = new ArrayList<>(value.size());
            for (JsonNode id : value) {
                ids.add(toInt(field, id));
            }
            return ids;
        }

        private JsonNode required(String field) {
            if (!has(field)) {
                throw error("missing '" + prefix + field + "'");
            }
            return node.get(field);
        }

        private int toInt(String field, JsonNode value) {
            if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                throw wrongType(field, "a 32-bit integer", value);
            }
            return value.intValue();
        }

        private double toDouble(String field, JsonNode value) {
            if (!value.isNumber()) {
                throw wrongType(field, "a number", value);
            }
            return value.doubleValue();
        }

        private String toText(String field, JsonNode value) {
            if (!value.isTextual()) {
                throw wrongType(field, "a string", value);
            }
            return value.textValue();
        }

        private FloodException wrongType(String field, String expected, JsonNode value) {
            return error("'" + prefix + field + "' must be " + expected + ", got " + value);
        }
    }
}
