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
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Feeds each event's prompt to the TaskManager's shared engine and completes the event's future with the mapped
 * result. Built by {@link FloodAsync}; Flink's async operator around it bounds the requests in flight (capacity),
 * orders the output if asked, checkpoints the events whose requests are in flight and re-issues them on restore.
 * A record that times out, and every record in flight when the operator closes (a job cancel, a failover), cancels
 * its engine request, which then leaves the engine's batch at its next step.
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
    /** The engine's futures of the records in flight, by their result futures; touched by every thread above. */
    private transient Map<ResultFuture<OUT>, CompletableFuture<GenerationResult>> inFlight;

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
        metrics = new FloodMetrics(getRuntimeContext().getMetricGroup(), FloodMetrics.GENERATED_TOKENS,
                lease.engine());
        inFlight = new ConcurrentHashMap<>();
    }

    @Override
    public void asyncInvoke(IN event, ResultFuture<OUT> resultFuture) {
        String prompt = prompts.prompt(event);
        GenerateRequest request = settings.requestFor(prompt);
        metrics.started();
        CompletableFuture<GenerationResult> submitted = lease.engine().submit(request, GenerationListener.NONE);
        inFlight.put(resultFuture, submitted);
        submitted.whenComplete((result, error) -> {
            inFlight.remove(resultFuture);
            if (error instanceof CancellationException) {
                return;   // cancelled by a timeout, which answered the record, or by close
            }
            GenerationResult done = error == null ? result : GenerationResult.failed("the engine failed: " + error, 0);
            metrics.finished(done.completionTokens(), done.isError());
            deliver(event, done, resultFuture);
        });
    }

    /** Cancels the record's engine request and answers the record with an error result. */
    @Override
    public void timeout(IN event, ResultFuture<OUT> resultFuture) {
        CompletableFuture<GenerationResult> request = inFlight.remove(resultFuture);
        if (request != null) {
            request.cancel(false);
        }
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
        if (inFlight != null) {
            inFlight.values().forEach(request -> request.cancel(false));
            inFlight.clear();
        }
        if (lease != null) {
            lease.close();
        }
    }
}
