package dev.flood.flink;

import dev.flood.api.ChatMessage;
import dev.flood.api.EngineConfig;
import dev.flood.api.GenerateRequest;
import dev.flood.api.ResponseFormat;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.flink.FloodOptions.ErrorMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

/**
 * The {@link FloodOptions} of one function, resolved once in its {@code open}. Precedence, highest first: options
 * given to the function (builder or constructor), then the job's parameters, then the options' defaults.
 *
 * @param engine   what the shared engine is opened with; equal configs share one engine per TaskManager
 * @param sampling how every request samples, without a seed: {@link #samplingFor} adds the derived one
 * @param scoring  how FLOOD_PERPLEXITY scores a text longer than the window
 * @param onError  what a failed request does to its record
 * @param shape    FLOOD_GENERATE's system message, and the response format (with the typed output it comes from)
 */
@PublicEvolving
public record FloodSettings(EngineConfig engine, SamplingParams sampling, ScoreOptions scoring, ErrorMode onError,
                            RequestShape shape) {

    /**
     * How each prompt becomes a request.
     *
     * @param system a system message (prompts then go as user messages through the chat template), or null
     * @param format the format every output must take, or null
     * @param output the typed output whose JSON schema {@code format} holds, or null
     */
    public record RequestShape(String system, ResponseFormat format, OutputSchema output) {

        public RequestShape {
            if (output != null && !output.format().equals(format)) {
                throw new IllegalArgumentException("an output schema's format is its JSON schema");
            }
        }
    }

    public FloodSettings {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(scoring, "scoring");
        Objects.requireNonNull(onError, "onError");
        Objects.requireNonNull(shape, "shape");
        if (sampling.seed().isPresent()) {
            throw new IllegalArgumentException("sampling must not carry a seed: each request's seed is derived "
                    + "from flood.seed and its prompt");
        }
    }

    /**
     * Resolves the options. {@code functionOptions} may hold only keys of {@link FloodOptions#ALL} (a typo fails
     * here, naming the key); {@code jobParameter} looks one key up in the job's parameters (null if unset);
     * {@code taskManagerSlots} is the default of {@code flood.threads} (see {@link TaskManagerSlots}).
     */
    public static FloodSettings resolve(Map<String, String> functionOptions, UnaryOperator<String> jobParameter,
                                        TaskManagerSlots taskManagerSlots) {
        Set<String> known = new TreeSet<>();
        for (ConfigOption<?> option : FloodOptions.ALL) {
            known.add(option.key());
        }
        for (String key : functionOptions.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown Flood option '" + key + "' (known: " + known + ")");
            }
        }
        Map<String, String> merged = new HashMap<>();
        for (String key : known) {
            String value = functionOptions.containsKey(key) ? functionOptions.get(key) : jobParameter.apply(key);
            if (value != null) {
                merged.put(key, value);
            }
        }
        return of(Configuration.fromMap(merged), taskManagerSlots);
    }

    /** Reads typed values; every check of a value happens in the records it builds or here. */
    private static FloodSettings of(Configuration conf, TaskManagerSlots slots) {
        String modelPath = conf.get(FloodOptions.MODEL_PATH);
        if (modelPath == null || modelPath.isBlank()) {
            throw new IllegalArgumentException(FloodOptions.MODEL_PATH.key() + " is not set: give it to the "
                    + "function or set it on the job");
        }
        int threads = conf.get(FloodOptions.THREADS);
        if (threads < 0) {
            throw new IllegalArgumentException(FloodOptions.THREADS.key() + " must be >= 0 (0 = the TaskManager's "
                    + "slots), got " + threads);
        }
        try {
            EngineConfig engine = EngineConfig.builder(Path.of(modelPath))
                    .loadFormat(conf.get(FloodOptions.LOAD_FORMAT))
                    .backend(conf.get(FloodOptions.BACKEND))
                    .devices(conf.get(FloodOptions.DEVICES))
                    .stages(conf.get(FloodOptions.STAGES))
                    .stageLayers(conf.get(FloodOptions.STAGE_LAYERS))
                    .stepsInFlight(conf.get(FloodOptions.STEPS_IN_FLIGHT))
                    .cacheTokens(conf.get(FloodOptions.CACHE_TOKENS))
                    .maxBatchTokens(conf.get(FloodOptions.MAX_BATCH_TOKENS))
                    .maxRunningRequests(conf.get(FloodOptions.MAX_RUNNING_REQUESTS))
                    .reservation(conf.get(FloodOptions.CACHE_RESERVATION))
                    .prefixCaching(conf.get(FloodOptions.PREFIX_CACHING))
                    .threads(threads == 0 ? slots.orProcessors() : threads)
                    .seed(conf.get(FloodOptions.SEED))
                    .build();
            SamplingParams.Builder sampling = SamplingParams.builder()
                    .maxNewTokens(conf.get(FloodOptions.MAX_NEW_TOKENS))
                    .temperature(conf.get(FloodOptions.TEMPERATURE))
                    .topP(conf.get(FloodOptions.TOP_P))
                    .topK(conf.get(FloodOptions.TOP_K))
                    .stopStrings(conf.get(FloodOptions.STOP));
            if (conf.get(FloodOptions.IGNORE_EOS)) {
                sampling.ignoreEos();
            }
            ScoreOptions scoring = new ScoreOptions(conf.get(FloodOptions.SCORE_MAX_LENGTH),
                    conf.get(FloodOptions.SCORE_STRIDE), conf.get(FloodOptions.SCORE_SLIDING_WINDOW)
                    ? ScoreOptions.LongTexts.SLIDING_WINDOW : ScoreOptions.LongTexts.REJECT);
            return new FloodSettings(engine, sampling.build(), scoring, conf.get(FloodOptions.ON_ERROR), shape(conf));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Flood options: " + e.getMessage(), e);
        }
    }

    /** The system message and at most one response format (output-schema, json-schema, regex or choice). */
    private static RequestShape shape(Configuration conf) {
        List<ResponseFormat> formats = new ArrayList<>();
        OutputSchema output = conf.getOptional(FloodOptions.OUTPUT_SCHEMA).map(OutputSchema::parse).orElse(null);
        if (output != null) {
            formats.add(output.format());
        }
        conf.getOptional(FloodOptions.JSON_SCHEMA).ifPresent(schema -> formats.add(ResponseFormat.jsonSchema(schema)));
        conf.getOptional(FloodOptions.REGEX).ifPresent(regex -> formats.add(ResponseFormat.regex(regex)));
        if (!conf.get(FloodOptions.CHOICE).isEmpty()) {
            formats.add(ResponseFormat.choice(conf.get(FloodOptions.CHOICE)));
        }
        if (formats.size() > 1) {
            throw new IllegalArgumentException("give at most one of " + FloodOptions.OUTPUT_SCHEMA.key() + ", "
                    + FloodOptions.JSON_SCHEMA.key() + ", " + FloodOptions.REGEX.key() + " and "
                    + FloodOptions.CHOICE.key());
        }
        return new RequestShape(conf.get(FloodOptions.SYSTEM), formats.isEmpty() ? null : formats.get(0), output);
    }

    /**
     * The request for one prompt: sampled with {@link #samplingFor}, as a user message after the system message
     * when one is set, held to the response format when one is set.
     */
    public GenerateRequest requestFor(String prompt) {
        SamplingParams params = samplingFor(prompt);
        GenerateRequest request = shape.system() == null || prompt == null ? GenerateRequest.of(prompt, params)
                : GenerateRequest.ofMessages(List.of(ChatMessage.system(shape.system()), ChatMessage.user(prompt)),
                        params);
        return shape.format() == null ? request : request.withResponseFormat(shape.format());
    }

    /**
     * The request for one conversation (the system message option does not apply: the messages carry their own),
     * sampled with a seed derived from flood.seed and the messages, held to the response format when one is set.
     * Null messages in the list stay, for the engine to report as that request's error.
     */
    public GenerateRequest requestForMessages(List<ChatMessage> messages) {
        GenerateRequest request = GenerateRequest.ofMessages(messages, samplingForMessages(messages));
        return shape.format() == null ? request : request.withResponseFormat(shape.format());
    }

    /** The sampling of a conversation: the configured one with a seed derived from flood.seed and the messages. */
    public SamplingParams samplingForMessages(List<ChatMessage> messages) {
        return sampling.toBuilder().seed(RequestSeeds.deriveForMessages(engine.seed(), messages)).build();
    }

    /** The sampling of one request: the configured one with a seed derived from flood.seed and the prompt. */
    public SamplingParams samplingFor(String prompt) {
        return sampling.toBuilder().seed(RequestSeeds.derive(engine.seed(), prompt)).build();
    }

    /** The sampling of a request whose prompt is given as token ids. */
    public SamplingParams samplingForTokens(List<Integer> promptTokenIds) {
        return sampling.toBuilder().seed(RequestSeeds.deriveForTokens(engine.seed(), promptTokenIds)).build();
    }
}
