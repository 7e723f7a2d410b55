package dev.flood.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every option of the Spark connector, with its default. Set one for the whole session as
 * {@code spark.flood.<key>} (builder {@code .config(...)}, {@code --conf}, or {@code spark.conf.set} at run time),
 * or for one call in its options argument ({@code map('max_tokens', '32')} in SQL). {@link FloodSettings} resolves
 * them: call option, then session conf, then the default here.
 */
public final class FloodOptions {

    public static final FloodOption MODEL = engine("model", null,
            "Hugging Face model folder (config.json, tokenizer.json, safetensors), readable on every executor");
    public static final FloodOption LOAD_FORMAT = engine("load_format", "safetensors",
            "safetensors, or dummy for random weights of the config's shapes (benchmarks)");
    public static final FloodOption BACKEND = engine("backend", "cpu", "cpu or cuda");
    public static final FloodOption DEVICES = engine("devices", "0",
            "comma-separated GPU ordinals for cuda, used when the task was assigned no 'gpu' resource");
    public static final FloodOption STAGES = engine("stages", "0",
            "pipeline stages on the CPU backend (cuda: one per device); 0 is one per stage_layers entry, or one");
    public static final FloodOption STAGE_LAYERS = engine("stage_layers", null,
            "comma-separated decoder layers per pipeline stage, e.g. 17,15; unset splits them evenly by cost");
    public static final FloodOption STEPS_IN_FLIGHT = engine("steps_in_flight", "0",
            "most engine steps in flight at once; 0 is stages + 1, 1 runs one step at a time");
    public static final FloodOption CACHE_TOKENS = engine("cache_tokens", "0",
            "token slots in the KV cache; 0 sizes it from the memory available");
    public static final FloodOption MAX_BATCH_TOKENS = engine("max_batch_tokens", "0",
            "token budget of one engine step (decode tokens plus prefill chunk tokens); 0 lets the engine pick it "
                    + "from the model and the GPU memory left (the CPU backend: 1024)");
    public static final FloodOption MAX_RUNNING_REQUESTS = engine("max_running_requests", "0",
            "most requests in the engine's running batch; 0 lets the engine pick it like max_batch_tokens "
                    + "(the CPU backend: 256)");
    public static final FloodOption RESERVATION = engine("reservation", "full",
            "KV cache reservation on admission: full (prompt plus max tokens) or incremental");
    public static final FloodOption PREFIX_CACHING = engine("prefix_caching", "on",
            "on: a prompt prefix already computed (a shared system prompt) is read from the KV cache; off: none is");
    public static final FloodOption THREADS = engine("threads", null,
            "CPU backend worker threads; unset: spark.executor.cores, else the cores of a local[N] master, else "
                    + "the executor JVM's processors");
    public static final FloodOption ENGINE_SEED = engine("engine_seed", "0", "seed of dummy weights");

    public static final FloodOption TEMPERATURE = sampling("temperature", "0", "0 is greedy decoding");
    public static final FloodOption TOP_K = sampling("top_k", "0", "keep the k most likely tokens; 0 disables");
    public static final FloodOption TOP_P = sampling("top_p", "1", "nucleus sampling mass in (0, 1]; 1 disables");
    public static final FloodOption MIN_P = sampling("min_p", "0", "drop tokens below min_p times the top one");
    public static final FloodOption REPETITION_PENALTY = sampling("repetition_penalty", "1", "1 disables");
    public static final FloodOption PRESENCE_PENALTY = sampling("presence_penalty", "0", "in [-2, 2]");
    public static final FloodOption FREQUENCY_PENALTY = sampling("frequency_penalty", "0", "in [-2, 2]");
    public static final FloodOption MAX_TOKENS = sampling("max_tokens", "16", "most tokens generated per row");
    public static final FloodOption STOP = sampling("stop", null,
            "stop strings as a JSON array, e.g. [\"\\n\\n\", \"END\"]");
    public static final FloodOption STOP_TOKEN_IDS = sampling("stop_token_ids", null,
            "comma-separated token ids that also end generation");
    public static final FloodOption IGNORE_EOS = sampling("ignore_eos", "false", "keep generating past EOS");
    public static final FloodOption LOGPROBS = sampling("logprobs", "0",
            "top log-probabilities per generated token in the struct output's logprobs field; 0 for none");
    public static final FloodOption SEED = sampling("seed", "0",
            "base of each row's sampling seed; a row's seed also hashes its prompt and sampling options");
    public static final FloodOption SYSTEM = sampling("system", null,
            "a system message: flood_generate sends each prompt as a user message after it through the model's "
                    + "chat template; flood_chat puts it before each row's messages");
    public static final FloodOption JSON_SCHEMA = sampling("json_schema", null,
            "flood_generate, flood_chat: outputs are JSON valid under this JSON schema (constrained decoding)");
    public static final FloodOption REGEX = sampling("regex", null,
            "flood_generate, flood_chat: outputs are texts the whole regular expression matches");
    public static final FloodOption CHOICE = sampling("choice", null,
            "flood_generate, flood_chat: outputs are exactly one of these texts, a JSON array of strings");

    public static final FloodOption MAX_LENGTH = scoring("max_length", null,
            "flood_perplexity: tokens in one window; unset: the model's context. A longer text is scored in strided "
                    + "sliding windows, each token once");
    public static final FloodOption STRIDE = scoring("stride", null,
            "flood_perplexity: tokens between window starts, below max_length; unset: half of max_length");
    public static final FloodOption SLIDING_WINDOW = scoring("sliding_window", "true",
            "flood_perplexity: false fails a text longer than max_length instead of scoring it in windows");

    public static final FloodOption ON_ERROR = new FloodOption("on_error", "null", FloodOption.Scope.CONNECTOR,
            "null: a row that fails gives null (the struct output's error field says why); fail: fail the task");
    public static final FloodOption MAX_IN_FLIGHT = new FloodOption("max_in_flight", "256",
            FloodOption.Scope.CONNECTOR, "rows of one task queued in the engine at once (backpressure window)");
    public static final FloodOption KEY_COLUMN = new FloodOption("key_column", null, FloodOption.Scope.CALL_ONLY,
            "a column of the call's input whose value names a failed row in on_error=fail messages");
    public static final FloodOption OUTPUT = new FloodOption("output", "plain", FloodOption.Scope.CALL_ONLY,
            "plain (string, or double for perplexity) or struct (with token counts, finish reason and error)");
    public static final FloodOption OUTPUT_SCHEMA = new FloodOption("output_schema", null, FloodOption.Scope.CALL_ONLY,
            "flood_generate, flood_chat: a Spark DDL schema ('name STRING, age INT') or a JSON schema; outputs are "
                    + "JSON held to it, and the column is the typed value parsed from them");

    /** Every option, by key, in the order above. */
    public static final Map<String, FloodOption> ALL = index(List.of(MODEL, LOAD_FORMAT, BACKEND, DEVICES,
            STAGES, STAGE_LAYERS, STEPS_IN_FLIGHT, CACHE_TOKENS, MAX_BATCH_TOKENS, MAX_RUNNING_REQUESTS, RESERVATION,
            PREFIX_CACHING, THREADS, ENGINE_SEED, TEMPERATURE, TOP_K, TOP_P, MIN_P, REPETITION_PENALTY,
            PRESENCE_PENALTY, FREQUENCY_PENALTY, MAX_TOKENS, STOP, STOP_TOKEN_IDS, IGNORE_EOS, LOGPROBS, SEED, SYSTEM,
            JSON_SCHEMA, REGEX, CHOICE, MAX_LENGTH, STRIDE, SLIDING_WINDOW, ON_ERROR, MAX_IN_FLIGHT, KEY_COLUMN,
            OUTPUT, OUTPUT_SCHEMA));

    private FloodOptions() {
    }

    /** The option with this short key; IllegalArgumentException naming the known keys if there is none. */
    public static FloodOption byKey(String key) {
        FloodOption option = ALL.get(key);
        if (option == null) {
            throw new IllegalArgumentException("unknown Flood option '" + key + "' (known: "
                    + String.join(", ", ALL.keySet()) + ")");
        }
        return option;
    }

    private static FloodOption engine(String key, String defaultValue, String description) {
        return new FloodOption(key, defaultValue, FloodOption.Scope.ENGINE, description);
    }

    private static FloodOption sampling(String key, String defaultValue, String description) {
        return new FloodOption(key, defaultValue, FloodOption.Scope.SAMPLING, description);
    }

    private static FloodOption scoring(String key, String defaultValue, String description) {
        return new FloodOption(key, defaultValue, FloodOption.Scope.SCORING, description);
    }

    private static Map<String, FloodOption> index(List<FloodOption> options) {
        Map<String, FloodOption> byKey = new LinkedHashMap<>();
        for (FloodOption option : options) {
            byKey.put(option.key(), option);
        }
        return java.util.Collections.unmodifiableMap(byKey);
    }
}
