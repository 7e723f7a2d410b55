package dev.flood.flink;

import dev.flood.api.EngineConfig;
import dev.flood.api.SamplingParams;
import dev.flood.api.ScoreOptions;
import dev.flood.flink.FloodOptions.ErrorMode;
import java.nio.file.Path;
import java.util.HashMap;
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
 */
@PublicEvolving
public record FloodSettings(EngineConfig engine, SamplingParams sampling, ScoreOptions scoring, ErrorMode onError) {

    public FloodSettings {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(scoring, "scoring");
        Objects.requireNonNull(onError, "onError");
        if (sampling.seed().isPresent()) {
            throw new IllegalArgumentException("sampling must not carry a seed: each request's seed is derived "
                    + "from flood.seed and its prompt");
        }
    }

    /**
     * Resolves the options. {@code functionOptions} may hold only keys of {@link FloodOptions#ALL} (a typo fails
     * here, naming the key); {@code jobParameter} looks one key up in the job's parameters (null if unset).
     */
    public static FloodSettings resolve(Map<String, String> functionOptions, UnaryOperator<String> jobParameter) {
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
        return of(Configuration.fromMap(merged));
    }

    /** Reads typed values; every check of a value happens in the records it builds or here. */
    private static FloodSettings of(Configuration conf) {
        String modelPath = conf.get(FloodOptions.MODEL_PATH);
        if (modelPath == null || modelPath.isBlank()) {
            throw new IllegalArgumentException(FloodOptions.MODEL_PATH.key() + " is not set: give it to the "
                    + "function or set it on the job");
        }
        int threads = conf.get(FloodOptions.THREADS);
        if (threads < 0) {
            throw new IllegalArgumentException(FloodOptions.THREADS.key() + " must be >= 0 (0 = every core), got "
                    + threads);
        }
        try {
            EngineConfig engine = EngineConfig.builder(Path.of(modelPath))
                    .loadFormat(conf.get(FloodOptions.LOAD_FORMAT))
                    .backend(conf.get(FloodOptions.BACKEND))
                    .devices(conf.get(FloodOptions.DEVICES))
                    .cacheTokens(conf.get(FloodOptions.CACHE_TOKENS))
                    .maxBatchTokens(conf.get(FloodOptions.MAX_BATCH_TOKENS))
                    .maxRunningRequests(conf.get(FloodOptions.MAX_RUNNING_REQUESTS))
                    .reservation(conf.get(FloodOptions.CACHE_RESERVATION))
                    .threads(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads)
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
            return new FloodSettings(engine, sampling.build(), scoring, conf.get(FloodOptions.ON_ERROR));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Flood options: " + e.getMessage(), e);
        }
    }

    /** The sampling of one request: the configured one with a seed derived from flood.seed and the prompt. */
    public SamplingParams samplingFor(String prompt) {
        return sampling.toBuilder().seed(RequestSeeds.derive(engine.seed(), prompt)).build();
    }
}
