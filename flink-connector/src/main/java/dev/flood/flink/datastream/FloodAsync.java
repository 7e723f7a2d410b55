package dev.flood.flink.datastream;

import dev.flood.flink.EngineFactory;
import dev.flood.flink.FloodOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.async.AsyncRetryStrategy;

/**
 * Enriches a stream with generations, one output per input, from each event's prompt ({@link #generate}) or
 * conversation ({@link #chat}):
 *
 * <pre>{@code
 * DataStream<Enriched> out = FloodAsync
 *         .generate(events, Event::text, (event, result) -> new Enriched(event, result.text()),
 *                 TypeInformation.of(Enriched.class))
 *         .option(FloodOptions.MODEL_PATH, "/models/qwen3-0.6b")
 *         .ordered().capacity(64).timeout(Duration.ofMinutes(2))
 *         .apply();
 * }</pre>
 *
 * Capacity bounds the requests one subtask has in flight: when it is reached the operator stops taking input and
 * backpressure slows the source. Set a {@code uid} on the returned operator: its state holds the in-flight events.
 */
@PublicEvolving
public final class FloodAsync<IN, OUT> {

    private final DataStream<IN> input;
    private final RequestMaker<IN> requests;
    private final ResultMapper<IN, OUT> results;
    private final TypeInformation<OUT> outputType;
    private final Map<String, String> options = new HashMap<>();
    private boolean ordered = true;
    private int capacity = 100;
    private Duration timeout = Duration.ofMinutes(5);
    private AsyncRetryStrategy<OUT> retry;
    private EngineFactory engineFactory = EngineFactory.DEFAULT;

    private FloodAsync(DataStream<IN> input, RequestMaker<IN> requests, ResultMapper<IN, OUT> results,
                       TypeInformation<OUT> outputType) {
        this.input = Objects.requireNonNull(input, "input");
        this.requests = requests;
        this.results = Objects.requireNonNull(results, "results");
        this.outputType = Objects.requireNonNull(outputType, "outputType");
    }

    /** Generates a completion of each event's prompt; {@code results} makes the output record. */
    public static <IN, OUT> FloodAsync<IN, OUT> generate(DataStream<IN> input, PromptExtractor<IN> prompts,
                                                         ResultMapper<IN, OUT> results, TypeInformation<OUT> outputType) {
        return new FloodAsync<>(input, RequestMaker.ofPrompts(Objects.requireNonNull(prompts, "prompts")), results,
                outputType);
    }

    /**
     * Generates the model's next message in each event's conversation, rendered by the model's chat template
     * ({@code flood.system} does not apply); {@code results} makes the output record.
     */
    public static <IN, OUT> FloodAsync<IN, OUT> chat(DataStream<IN> input, MessagesExtractor<IN> messages,
                                                     ResultMapper<IN, OUT> results, TypeInformation<OUT> outputType) {
        return new FloodAsync<>(input, RequestMaker.ofMessages(Objects.requireNonNull(messages, "messages")),
                results, outputType);
    }

    /** One {@link FloodOptions} value; it takes precedence over the job's parameters. */
    public <T> FloodAsync<IN, OUT> option(ConfigOption<T> option, T value) {
        Configuration one = new Configuration();
        one.set(option, value);
        options.putAll(one.toMap());
        return this;
    }

    /** Every {@code flood.*} key of {@code configuration}; other keys are left out. */
    public FloodAsync<IN, OUT> options(Configuration configuration) {
        configuration.toMap().forEach((key, value) -> {
            if (key.startsWith("flood.")) {
                options.put(key, value);
            }
        });
        return this;
    }

    /** Outputs in input order (the default): a slow request holds back those after it. */
    public FloodAsync<IN, OUT> ordered() {
        ordered = true;
        return this;
    }

    /** Outputs as requests finish (still in order relative to watermarks). */
    public FloodAsync<IN, OUT> unordered() {
        ordered = false;
        return this;
    }

    /** Most requests in flight per subtask (default 100). */
    public FloodAsync<IN, OUT> capacity(int value) {
        if (value < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + value);
        }
        capacity = value;
        return this;
    }

    /** Time a record may wait for its result, queueing in the engine included (default 5 minutes). */
    public FloodAsync<IN, OUT> timeout(Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + value);
        }
        timeout = value;
        return this;
    }

    /**
     * Re-issues a record's request when the strategy says so, e.g. on a {@code FloodException} with
     * {@code flood.on-error} FAIL. Re-issued requests use the same seed, so a retry gives the same text.
     */
    public FloodAsync<IN, OUT> retry(AsyncRetryStrategy<OUT> strategy) {
        retry = Objects.requireNonNull(strategy, "strategy");
        return this;
    }

    /** Opens the shared engine through {@code factory} (default: {@link EngineFactory#DEFAULT}). */
    public FloodAsync<IN, OUT> engineFactory(EngineFactory factory) {
        engineFactory = Objects.requireNonNull(factory, "factory");
        return this;
    }

    /** Adds the async operator to the job graph. */
    public SingleOutputStreamOperator<OUT> apply() {
        FloodGenerateFunction<IN, OUT> function =
                new FloodGenerateFunction<>(requests, results, options, engineFactory, timeout);
        long timeoutMillis = timeout.toMillis();
        SingleOutputStreamOperator<OUT> out;
        if (retry == null) {
            out = ordered
                    ? AsyncDataStream.orderedWait(input, function, timeoutMillis, TimeUnit.MILLISECONDS, capacity)
                    : AsyncDataStream.unorderedWait(input, function, timeoutMillis, TimeUnit.MILLISECONDS, capacity);
        } else {
            out = ordered
                    ? AsyncDataStream.orderedWaitWithRetry(input, function, timeoutMillis, TimeUnit.MILLISECONDS,
                            capacity, retry)
                    : AsyncDataStream.unorderedWaitWithRetry(input, function, timeoutMillis, TimeUnit.MILLISECONDS,
                            capacity, retry);
        }
        return out.returns(outputType).name("flood-generate");
    }
}
