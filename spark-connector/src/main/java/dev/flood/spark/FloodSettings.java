package dev.flood.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flood.api.EngineConfig;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.spark.typed.OutputSchema;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The one place where a call's settings are resolved. Precedence, highest first:
 * <ol>
 *   <li>the call's own options ({@code flood_generate(prompt, map('temperature', '0.7'))});</li>
 *   <li>the session's conf, {@code spark.flood.<key>} (from {@code --conf}, the session builder, or
 *       {@code spark.conf.set} before the query runs; read when the query is planned);</li>
 *   <li>the default in {@link FloodOptions}.</li>
 * </ol>
 * For the GPU, the task's assigned {@code gpu} resource wins over {@code devices} (see
 * {@link #engineConfig(List)}). {@code output} and {@code output_schema} fix the column's type during analysis, so
 * only the call may set them. Built on the driver (which validates every value, so a bad option fails the query before any task runs)
 * and shipped to executors.
 */
public final class FloodSettings implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the column holds. */
    public enum Output { PLAIN, STRUCT }

    /** What a row that fails does. */
    public enum OnError { NULL, FAIL }

    /** Options given by the call or the conf, after precedence; options absent here take their default. */
    private final TreeMap<String, String> explicit;
    /** The executors' cores from the conf ({@link ExecutorCores}), the default of threads; 0 when unknown. */
    private final int executorCores;

    private FloodSettings(TreeMap<String, String> explicit, int executorCores) {
        this.explicit = explicit;
        this.executorCores = executorCores;
        engineConfig(List.of());
        sampling();
        scoring();
        onError();
        maxInFlightRows();
        seed();
        output();
        responseFormat();
    }

    /**
     * @param sparkConf   the session's conf (every key; only {@code spark.flood.*} is read)
     * @param callOptions the call's options by short key
     */
    public static FloodSettings resolve(Map<String, String> sparkConf, Map<String, String> callOptions) {
        TreeMap<String, String> explicit = new TreeMap<>();
        for (Map.Entry<String, String> e : sparkConf.entrySet()) {
            if (e.getKey().startsWith(FloodOption.CONF_PREFIX)) {
                String key = e.getKey().substring(FloodOption.CONF_PREFIX.length());
                FloodOption option = FloodOptions.byKey(key);
                if (option.scope() == FloodOption.Scope.CALL_ONLY) {
                    throw new IllegalArgumentException(e.getKey() + " cannot be set in the conf: '" + key
                            + "' is read during analysis, so give it in the call's options");
                }
                explicit.put(key, e.getValue().trim());
            }
        }
        for (Map.Entry<String, String> e : callOptions.entrySet()) {
            FloodOptions.byKey(e.getKey());
            if (e.getValue() == null) {
                throw new IllegalArgumentException("Flood option '" + e.getKey() + "' is null");
            }
            explicit.put(e.getKey(), e.getValue().trim());
        }
        return new FloodSettings(explicit, ExecutorCores.of(sparkConf).orElse(0));
    }

    /** The output kind from the call's options alone (analysis time, before the conf is read). */
    public static Output outputOf(Map<String, String> callOptions) {
        for (String key : callOptions.keySet()) {
            FloodOptions.byKey(key);
        }
        return parseOutput(callOptions.getOrDefault(FloodOptions.OUTPUT.key(), FloodOptions.OUTPUT.defaultValue()));
    }

    /** The output schema from the call's options alone (analysis time), or null without one. */
    public static OutputSchema outputSchemaOf(Map<String, String> callOptions) {
        String schema = callOptions.get(FloodOptions.OUTPUT_SCHEMA.key());
        return schema == null ? null : OutputSchema.parse(schema);
    }

    /** The resolved value: explicit, else the default (null if the option has none). */
    public String value(FloodOption option) {
        return explicit.getOrDefault(option.key(), option.defaultValue());
    }

    /** Options given explicitly (by the call or the conf), sorted by key. */
    public SortedMap<String, String> explicit() {
        return java.util.Collections.unmodifiableSortedMap(explicit);
    }

    /**
     * The engine to run on. With the cuda backend, {@code taskGpus} (the addresses of the task's {@code gpu}
     * resource) replace {@code devices} when non-empty; on the CPU devices are irrelevant and fixed to [0], so
     * that every CPU call with the same model and sizes shares one engine.
     */
    public EngineConfig engineConfig(List<Integer> taskGpus) {
        String model = value(FloodOptions.MODEL);
        if (model == null || model.isEmpty()) {
            throw new IllegalArgumentException("no model: set " + FloodOptions.MODEL.confKey()
                    + " in the Spark conf or 'model' in the call's options");
        }
        String backend = value(FloodOptions.BACKEND);
        List<Integer> devices = List.of(0);
        if (backend.equals("cuda")) {
            devices = taskGpus.isEmpty() ? ints(FloodOptions.DEVICES) : taskGpus;
        }
        EngineConfig.Builder builder = EngineConfig.builder(Path.of(model))
                .loadFormat(choice(FloodOptions.LOAD_FORMAT, EngineConfig.LoadFormat.class))
                .backend(backend)
                .devices(devices)
                .stages(integer(FloodOptions.STAGES))
                .stageLayers(value(FloodOptions.STAGE_LAYERS) == null ? List.of() : ints(FloodOptions.STAGE_LAYERS))
                .stepsInFlight(integer(FloodOptions.STEPS_IN_FLIGHT))
                .cacheTokens(integer(FloodOptions.CACHE_TOKENS))
                .maxBatchTokens(integer(FloodOptions.MAX_BATCH_TOKENS))
                .maxRunningRequests(integer(FloodOptions.MAX_RUNNING_REQUESTS))
                .reservation(choice(FloodOptions.RESERVATION, EngineConfig.CacheReservation.class))
                .prefixCaching(choice(FloodOptions.PREFIX_CACHING, EngineConfig.PrefixCaching.class))
                .seed(longValue(FloodOptions.ENGINE_SEED));
        if (value(FloodOptions.THREADS) != null) {
            builder.threads(integer(FloodOptions.THREADS));
        } else if (executorCores > 0) {
            builder.threads(executorCores);
        }
        return builder.build();
    }

    /** Sampling of every row of the call, without the per-row seed ({@link RowSeeds} derives it). */
    public SamplingParams sampling() {
        SamplingParams.Builder builder = SamplingParams.builder()
                .temperature(decimal(FloodOptions.TEMPERATURE))
                .topK(integer(FloodOptions.TOP_K))
                .topP(decimal(FloodOptions.TOP_P))
                .minP(decimal(FloodOptions.MIN_P))
                .repetitionPenalty(decimal(FloodOptions.REPETITION_PENALTY))
                .presencePenalty(decimal(FloodOptions.PRESENCE_PENALTY))
                .frequencyPenalty(decimal(FloodOptions.FREQUENCY_PENALTY))
                .maxNewTokens(integer(FloodOptions.MAX_TOKENS))
                .stopStrings(stopStrings())
                .stopTokenIds(value(FloodOptions.STOP_TOKEN_IDS) == null ? List.of() : ints(FloodOptions.STOP_TOKEN_IDS))
                .logprobs(integer(FloodOptions.LOGPROBS));
        if (bool(FloodOptions.IGNORE_EOS)) {
            builder.ignoreEos();
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Flood sampling option: " + e.getMessage(), e);
        }
    }

    /** flood_generate's system message, or null for plain prompts. */
    public String system() {
        return value(FloodOptions.SYSTEM);
    }

    /**
     * The format generated outputs must take, or null; at most one of json_schema, regex and choice, and none of
     * them with output_schema (whose JSON schema is the format then).
     */
    public ResponseFormat responseFormat() {
        OutputSchema outputSchema = outputSchema();
        if (outputSchema != null) {
            for (FloodOption other : List.of(FloodOptions.JSON_SCHEMA, FloodOptions.REGEX, FloodOptions.CHOICE)) {
                if (value(other) != null) {
                    throw new IllegalArgumentException("the Flood option output_schema cannot be combined with "
                            + other.key() + ": output_schema already holds the output to its JSON schema");
                }
            }
            return ResponseFormat.jsonSchema(outputSchema.jsonSchema());
        }
        List<ResponseFormat> formats = new ArrayList<>();
        if (value(FloodOptions.JSON_SCHEMA) != null) {
            formats.add(ResponseFormat.jsonSchema(value(FloodOptions.JSON_SCHEMA)));
        }
        if (value(FloodOptions.REGEX) != null) {
            formats.add(ResponseFormat.regex(value(FloodOptions.REGEX)));
        }
        String choice = value(FloodOptions.CHOICE);
        if (choice != null) {
            try {
                formats.add(ResponseFormat.choice(Arrays.asList(JSON.readValue(choice, String[].class))));
            } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("Flood option choice must be a non-empty JSON array of strings, "
                        + "got '" + choice + "'");
            }
        }
        if (formats.size() > 1) {
            throw new IllegalArgumentException("give at most one of the Flood options json_schema, regex and choice");
        }
        return formats.isEmpty() ? null : formats.get(0);
    }

    /** How flood_perplexity scores a text longer than the window. */
    public ScoreOptions scoring() {
        String maxLength = value(FloodOptions.MAX_LENGTH);
        String stride = value(FloodOptions.STRIDE);
        try {
            return new ScoreOptions(maxLength == null ? 0 : integer(FloodOptions.MAX_LENGTH),
                    stride == null ? 0 : integer(FloodOptions.STRIDE), bool(FloodOptions.SLIDING_WINDOW)
                    ? ScoreOptions.LongTexts.SLIDING_WINDOW : ScoreOptions.LongTexts.REJECT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Flood scoring option: " + e.getMessage(), e);
        }
    }

    /** The base of every row's sampling seed. */
    public long seed() {
        return longValue(FloodOptions.SEED);
    }

    public Output output() {
        return parseOutput(value(FloodOptions.OUTPUT));
    }

    /** The typed value each generated row is parsed into, or null for text. */
    public OutputSchema outputSchema() {
        String schema = value(FloodOptions.OUTPUT_SCHEMA);
        return schema == null ? null : OutputSchema.parse(schema);
    }

    public OnError onError() {
        return choice(FloodOptions.ON_ERROR, OnError.class);
    }

    /** Most rows of one task in the engine at once. */
    public int maxInFlightRows() {
        int rows = integer(FloodOptions.MAX_IN_FLIGHT);
        if (rows < 1) {
            throw new IllegalArgumentException("Flood option max_in_flight must be >= 1, got " + rows);
        }
        return rows;
    }

    private static Output parseOutput(String value) {
        return parse(FloodOptions.OUTPUT, value, Output.class);
    }

    private List<String> stopStrings() {
        String json = value(FloodOptions.STOP);
        if (json == null) {
            return List.of();
        }
        try {
            String[] stops = JSON.readValue(json, String[].class);
            return Arrays.asList(stops);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Flood option stop must be a JSON array of strings, got '" + json + "'");
        }
    }

    private <E extends Enum<E>> E choice(FloodOption option, Class<E> type) {
        return parse(option, value(option), type);
    }

    private static <E extends Enum<E>> E parse(FloodOption option, String value, Class<E> type) {
        for (E constant : type.getEnumConstants()) {
            if (constant.name().toLowerCase(Locale.ROOT).equals(value)) {
                return constant;
            }
        }
        List<String> names = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            names.add(constant.name().toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("Flood option " + option.key() + " must be one of " + names
                + ", got '" + value + "'");
    }

    private int integer(FloodOption option) {
        try {
            return Integer.parseInt(value(option));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Flood option " + option.key() + " must be an integer, got '"
                    + value(option) + "'");
        }
    }

    private long longValue(FloodOption option) {
        try {
            return Long.parseLong(value(option));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Flood option " + option.key() + " must be an integer, got '"
                    + value(option) + "'");
        }
    }

    private double decimal(FloodOption option) {
        try {
            return Double.parseDouble(value(option));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Flood option " + option.key() + " must be a number, got '"
                    + value(option) + "'");
        }
    }

    private boolean bool(FloodOption option) {
        String value = value(option);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("Flood option " + option.key() + " must be true or false, got '"
                    + value + "'");
        }
        return value.equals("true");
    }

    private List<Integer> ints(FloodOption option) {
        List<Integer> ids = new ArrayList<>();
        for (String part : value(option).split(",")) {
            try {
                ids.add(Integer.parseInt(part.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Flood option " + option.key()
                        + " must be comma-separated integers, got '" + value(option) + "'");
            }
        }
        return ids;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FloodSettings s && s.explicit.equals(explicit) && s.executorCores == executorCores;
    }

    @Override
    public int hashCode() {
        return 31 * explicit.hashCode() + executorCores;
    }

    @Override
    public String toString() {
        return explicit.toString();
    }
}
