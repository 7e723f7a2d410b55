package dev.flood.flink;

import dev.flood.api.EngineConfig.CacheReservation;
import dev.flood.api.EngineConfig.PrefixCaching;
import dev.flood.api.EngineConfig.LoadFormat;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Every setting of the Flink connector, as typed options with defaults. They reach the functions in one of two
 * ways (see {@link FloodSettings} for the precedence): given to the function itself (the DataStream builder's
 * {@code option(...)}, or the table functions' constructor), or set on the job ({@code SET 'flood.model.path' =
 * '...'} in SQL, {@code tableEnv.getConfig().set(...)}, or {@code pipeline.global-job-parameters} for the DataStream
 * API). An engine is shared by every subtask of a TaskManager that resolves the same engine options.
 */
@PublicEvolving
public final class FloodOptions {

    /** What a request that cannot run (null or over-long prompt, timeout) does to its record. */
    public enum ErrorMode {
        /** The record gets an error result: the mapper sees a result with {@code error} set; SQL returns NULL. */
        RESULT,
        /** The record's future fails, so the job fails (or retries, if a retry strategy says so). */
        FAIL
    }

    public static final ConfigOption<String> MODEL_PATH = ConfigOptions.key("flood.model.path")
            .stringType().noDefaultValue()
            .withDescription("Hugging Face model folder (config.json, tokenizer.json, safetensors) as seen from "
                    + "every TaskManager. Required.");

    public static final ConfigOption<LoadFormat> LOAD_FORMAT = ConfigOptions.key("flood.model.load-format")
            .enumType(LoadFormat.class).defaultValue(LoadFormat.SAFETENSORS)
            .withDescription("SAFETENSORS reads the checkpoint's weights; DUMMY makes random weights of its "
                    + "shapes (for load tests).");

    public static final ConfigOption<String> BACKEND = ConfigOptions.key("flood.backend")
            .stringType().defaultValue("cpu")
            .withDescription("'cpu' or 'cuda'.");

    public static final ConfigOption<List<Integer>> DEVICES = ConfigOptions.key("flood.devices")
            .intType().asList().defaultValues(0)
            .withDescription("GPU ordinals of the TaskManager for the CUDA backend, one per pipeline stage.");

    public static final ConfigOption<Integer> STAGES = ConfigOptions.key("flood.stages")
            .intType().defaultValue(0)
            .withDescription("Pipeline stages on the CPU backend (cuda: one per device); 0 is one per stage-layers "
                    + "entry, or one.");

    public static final ConfigOption<List<Integer>> STAGE_LAYERS = ConfigOptions.key("flood.stage-layers")
            .intType().asList().defaultValues()
            .withDescription("Decoder layers per pipeline stage, first stage first (17;15); empty splits them so "
                    + "the stages cost about the same.");

    public static final ConfigOption<Integer> STEPS_IN_FLIGHT = ConfigOptions.key("flood.steps-in-flight")
            .intType().defaultValue(0)
            .withDescription("Most engine steps in flight at once; 0 is stages + 1, 1 runs one step at a time.");

    public static final ConfigOption<Integer> CACHE_TOKENS = ConfigOptions.key("flood.cache-tokens")
            .intType().defaultValue(0)
            .withDescription("Token slots in the KV cache; 0 sizes it from the memory available.");

    public static final ConfigOption<Integer> MAX_BATCH_TOKENS = ConfigOptions.key("flood.max-batch-tokens")
            .intType().defaultValue(0)
            .withDescription("Token budget of one engine step (decode tokens plus prefill chunk tokens); 0 lets the "
                    + "engine pick it from the model and the GPU memory left (the CPU backend: 1024).");

    public static final ConfigOption<Integer> MAX_RUNNING_REQUESTS = ConfigOptions.key("flood.max-running-requests")
            .intType().defaultValue(0)
            .withDescription("Most requests in the engine's running batch at once, over all subtasks sharing it; 0 "
                    + "lets the engine pick it like flood.max-batch-tokens (the CPU backend: 256).");

    public static final ConfigOption<CacheReservation> CACHE_RESERVATION = ConfigOptions.key("flood.cache-reservation")
            .enumType(CacheReservation.class).defaultValue(CacheReservation.FULL)
            .withDescription("FULL reserves prompt plus max new tokens on admission; INCREMENTAL grows the "
                    + "reservation step by step and preempts when the cache is full.");

    public static final ConfigOption<PrefixCaching> PREFIX_CACHING = ConfigOptions.key("flood.prefix-caching")
            .enumType(PrefixCaching.class).defaultValue(PrefixCaching.ON)
            .withDescription("ON: a prompt prefix already computed (a shared system prompt) is read from the KV "
                    + "cache instead of computed again; OFF: every prompt is computed whole.");

    public static final ConfigOption<Integer> THREADS = ConfigOptions.key("flood.threads")
            .intType().defaultValue(0)
            .withDescription("Worker threads of the CPU backend; 0 uses the TaskManager's slots "
                    + "(taskmanager.numberOfTaskSlots) where the connector knows them, else every core the "
                    + "TaskManager JVM sees.");

    public static final ConfigOption<Long> SEED = ConfigOptions.key("flood.seed")
            .longType().defaultValue(0L)
            .withDescription("Base seed. Each request's sampling seed is derived from it and the record's "
                    + "prompt, so a request re-issued after a restore produces the same text.");

    public static final ConfigOption<Integer> MAX_NEW_TOKENS = ConfigOptions.key("flood.max-new-tokens")
            .intType().defaultValue(64)
            .withDescription("Most tokens generated per record.");

    public static final ConfigOption<Double> TEMPERATURE = ConfigOptions.key("flood.temperature")
            .doubleType().defaultValue(0.0)
            .withDescription("Sampling temperature; 0 is greedy decoding.");

    public static final ConfigOption<Double> TOP_P = ConfigOptions.key("flood.top-p")
            .doubleType().defaultValue(1.0)
            .withDescription("Nucleus sampling mass in (0, 1]; 1 disables it.");

    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("flood.top-k")
            .intType().defaultValue(0)
            .withDescription("Keep the k most likely tokens; 0 disables it.");

    public static final ConfigOption<List<String>> STOP = ConfigOptions.key("flood.stop")
            .stringType().asList().defaultValues()
            .withDescription("Texts that end a generation (';'-separated); the text ends before the stop string.");

    public static final ConfigOption<Boolean> IGNORE_EOS = ConfigOptions.key("flood.ignore-eos")
            .booleanType().defaultValue(false)
            .withDescription("Keep generating past the model's end-of-sequence token until max-new-tokens.");

    public static final ConfigOption<String> SYSTEM = ConfigOptions.key("flood.system")
            .stringType().noDefaultValue()
            .withDescription("A system message for prompts (FLOOD_CHAT's and chat's conversations carry their own): "
                    + "each prompt is then sent as a user message through the model's chat template.");

    public static final ConfigOption<String> JSON_SCHEMA = ConfigOptions.key("flood.json-schema")
            .stringType().noDefaultValue()
            .withDescription("Outputs are JSON valid under this JSON schema (constrained decoding; at most one of "
                    + "output-schema, json-schema, regex and choice).");

    public static final ConfigOption<String> REGEX = ConfigOptions.key("flood.regex")
            .stringType().noDefaultValue()
            .withDescription("Outputs are texts the whole regular expression matches.");

    public static final ConfigOption<List<String>> CHOICE = ConfigOptions.key("flood.choice")
            .stringType().asList().defaultValues()
            .withDescription("Outputs are exactly one of these texts (';'-separated).");

    public static final ConfigOption<String> OUTPUT_SCHEMA = ConfigOptions.key("flood.output-schema")
            .stringType().noDefaultValue()
            .withDescription("FLOOD_GENERATE, FLOOD_CHAT, models: outputs are JSON objects of this Flink row type "
                    + "('name STRING, age INT, tags ARRAY<STRING>') or JSON schema, returned as a typed ROW where "
                    + "the type is known when the query is planned (see the README); at most one of output-schema, "
                    + "json-schema, regex and choice.");

    public static final ConfigOption<Integer> SCORE_MAX_LENGTH = ConfigOptions.key("flood.score.max-length")
            .intType().defaultValue(0)
            .withDescription("FLOOD_PERPLEXITY: tokens in one window; 0 = the model's context. A longer text is "
                    + "scored in strided sliding windows, each token once (transformers' perplexity guide).");

    public static final ConfigOption<Integer> SCORE_STRIDE = ConfigOptions.key("flood.score.stride")
            .intType().defaultValue(0)
            .withDescription("FLOOD_PERPLEXITY: tokens between window starts, below max-length; 0 = half of it.");

    public static final ConfigOption<Boolean> SCORE_SLIDING_WINDOW = ConfigOptions.key("flood.score.sliding-window")
            .booleanType().defaultValue(true)
            .withDescription("FLOOD_PERPLEXITY: false fails a text longer than max-length instead of scoring it in "
                    + "windows.");

    public static final ConfigOption<ErrorMode> ON_ERROR = ConfigOptions.key("flood.on-error")
            .enumType(ErrorMode.class).defaultValue(ErrorMode.RESULT)
            .withDescription("RESULT: a record whose request fails (null or over-long prompt, timeout) gets an "
                    + "error result (SQL: NULL). FAIL: the record's future fails, failing the job unless a "
                    + "retry strategy retries it.");

    /** Every option above, for validation and documentation. */
    public static final List<ConfigOption<?>> ALL = List.of(MODEL_PATH, LOAD_FORMAT, BACKEND, DEVICES, STAGES,
            STAGE_LAYERS, STEPS_IN_FLIGHT, CACHE_TOKENS, MAX_BATCH_TOKENS, MAX_RUNNING_REQUESTS, CACHE_RESERVATION,
            PREFIX_CACHING, THREADS, SEED, MAX_NEW_TOKENS, TEMPERATURE, TOP_P, TOP_K, STOP, IGNORE_EOS, SYSTEM,
            JSON_SCHEMA, REGEX, CHOICE, OUTPUT_SCHEMA, SCORE_MAX_LENGTH, SCORE_STRIDE, SCORE_SLIDING_WINDOW, ON_ERROR);

    private FloodOptions() {
    }
}
