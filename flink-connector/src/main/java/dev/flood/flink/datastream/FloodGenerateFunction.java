package dev.flood.flink.datastream;

import dev.flood.api.FloodException;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.flink.EngineFactory;
import dev.flood.flink.FloodOptions.ErrorMode;
import dev.flood.flink.FloodSettings;
import dev.flood.flink.TaskManagerSlots;
import dev.flood.flink.internal.EngineLease;
import dev.flood.flink.internal.EngineRegistry;
import dev.flood.flink.internal.FloodMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Feeds each event's prompt to the TaskManager's shared engine and completes the event's future with the mapped
 * result. Built by {@link FloodAsync}; Flink's async operator around it bounds the requests in flight (capacity),
 * orders the output if asked, checkpoints the events whose requests are in flight and re-issues them on restore.
 */
@Internal
public final class FloodGenerateFunction<IN, OUT> extends RichAsyncFunction<IN, OUT> {

    private final PromptExtractor<IN> prompts;
    private final ResultMapper<IN, OUT> results;
    private final HashMap<String, String> options;
    private final EngineFactory engineFactory;
    private final Duration timeout;

    /** The TaskManager's slots, read from the operator's runtime context before Flink wraps it. */
    private transient TaskManagerSlots slots = TaskManagerSlots.UNKNOWN;
    private transient FloodSettings settings;
    private transient EngineLease lease;
    private transient FloodMetrics metrics;
    /** Set by {@link #close}: results the engine hands back later belong to a disposed operator. */
    private transient volatile boolean closed;

    FloodGenerateFunction(PromptExtractor<IN> prompts, ResultMapper<IN, OUT> results, Map<String, String> options,
                          EngineFactory engineFactory, Duration timeout) {
        this.prompts = prompts;
        this.results = results;
        this.options = new HashMap<>(options);
        this.engineFactory = engineFactory;
        this.timeout = timeout;
    }

    /** Flink hands the operator's context here, then gives the function a narrower view of it. */
    @Override
    public void setRuntimeContext(RuntimeContext context) {
        slots = TaskManagerSlots.of(context);
        super.setRuntimeContext(context);
    }

    @Override
    public void open(OpenContext openContext) {
        Map<String, String> jobParameters = getRuntimeContext().getGlobalJobParameters();
        settings = FloodSettings.resolve(options, jobParameters::get, slots);
        lease = EngineRegistry.acquire(settings.engine(), engineFactory);
        metrics = new FloodMetrics(getRuntimeContext().getMetricGroup(), FloodMetrics.GENERATED_TOKENS);
    }

    @Override
    public void asyncInvoke(IN event, ResultFuture<OUT> resultFuture) {
        String prompt = prompts.prompt(event);
        GenerateRequest request = settings.requestFor(prompt);
        metrics.started();
        lease.engine().submit(request, GenerationListener.NONE).whenComplete((result, error) -> {
            GenerationResult done = error == null ? result : GenerationResult.failed("the engine failed: " + error, 0);
            metrics.finished(done.completionTokens(), done.isError());
            deliver(event, done, resultFuture);
        });
    }

    /** The engine's request goes on (the engine has no cancel); its late result is ignored by Flink. */
    @Override
    public void timeout(IN event, ResultFuture<OUT> resultFuture) {
        metrics.abandoned();
        deliver(event, GenerationResult.failed("no result within the timeout of " + timeout, 0), resultFuture);
    }

    /**
     * Runs on whichever thread finished the request (the engine's; the task's for input the engine rejects at
     * once; the timer's on timeout): the mapper itself runs on the task thread, through the collection supplier.
     */
    private void deliver(IN event, GenerationResult result, ResultFuture<OUT> resultFuture) {
        if (closed) {
            return;
        }
        if (result.isError() && settings.onError() == ErrorMode.FAIL) {
            resultFuture.completeExceptionally(new FloodException("Flood generation failed: " + result.error()));
        } else {
            resultFuture.complete(() -> List.of(results.map(event, result)));
        }
    }

    @Override
    public void close() {
        closed = true;
        if (lease != null) {
            lease.close();
        }
    }
}
