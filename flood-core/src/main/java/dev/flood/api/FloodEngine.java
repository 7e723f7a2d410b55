package dev.flood.api;

import dev.flood.config.ModelConfig;
import dev.flood.tokenizer.Tokenizer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A running Flood engine: one model, one KV cache, one batch shared by every caller. All methods are safe to
 * call from many threads at once; requests from all callers join the same continuous batch.
 *
 * <p>Bad input never throws from the batch methods: a request that cannot run (null prompt, prompt longer
 * than the context, cache too small) comes back as a result with its {@code error} set, and every other request
 * in the list still runs.
 *
 * <p>Cancelling: {@link CompletableFuture#cancel} on a future returned here (any argument) cancels its request: the
 * future is cancelled at once, as the {@code Future} contract says, and the engine drops the request at its next
 * step and frees its cache; a listener still receives the {@link FinishReason#CANCELLED} result with what was
 * generated until then. {@link #stream} returns a handle whose cancel completes the result normally instead. The
 * blocking batch methods cancel their requests and throw {@link java.util.concurrent.CancellationException} when
 * the waiting thread is interrupted (its interrupt status stays set). Futures derived from these
 * ({@code thenApply} and the like) do not pass a cancel back.
 *
 * <p>Faults: when a step fails for a reason that is no request's own (a CUDA error, running out of memory, a
 * backend exception), the engine reopens its backends and recomputes every unfinished request from its tokens;
 * results are the same as without the fault and callers see only a delay and
 * {@link EngineMetrics#engineRestarts()}. After several restarts in a short time it gives up and fails the
 * unfinished requests with the cause.
 */
public interface FloodEngine extends AutoCloseable {

    /** Loads the model and starts the engine thread. Throws {@link FloodException} if the model cannot be loaded. */
    static FloodEngine open(EngineConfig config) {
        return dev.flood.engine.Engine.open(config);
    }

    /**
     * Generates a completion for every request; results in input order. Blocks until all are done; an interrupt
     * cancels them (see the class comment).
     */
    List<GenerationResult> generate(List<GenerateRequest> requests);

    /**
     * Queues one request; the future completes with its result (never exceptionally for bad input). Cancelling the
     * future cancels the request (see the class comment).
     */
    CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener);

    /**
     * Queues one request whose tokens stream to {@code listener}; the handle stops it early and holds its result,
     * which a {@link GenerationHandle#cancel} completes normally as {@link FinishReason#CANCELLED}.
     */
    GenerationHandle stream(GenerateRequest request, GenerationListener listener);

    /**
     * Per-token log-probabilities, mean NLL and perplexity of each text, with the default {@link ScoreOptions};
     * results in input order. Blocks until all are done; the engine's own implementation cancels them on an
     * interrupt (see the class comment).
     */
    default List<ScoreResult> score(List<String> texts) {
        List<CompletableFuture<ScoreResult>> futures = texts.stream().map(this::submitScore).toList();
        return futures.stream().map(CompletableFuture::join).toList();
    }

    /** Queues one text for scoring with the default {@link ScoreOptions} (sliding windows past the context). */
    default CompletableFuture<ScoreResult> submitScore(String text) {
        return submitScore(ScoreRequest.of(text));
    }

    /** Queues one text (or token ids) for scoring; the future completes with its result, never exceptionally. */
    CompletableFuture<ScoreResult> submitScore(ScoreRequest request);

    /** Log-likelihood of each option as a continuation of the prompt (FLOOD-style option scoring). */
    CompletableFuture<OptionScores> submitOptions(String prompt, List<String> options);

    /** Counters since the engine opened, and the cache's state now. */
    EngineMetrics metrics();

    ModelConfig modelConfig();

    /** The configuration the engine was opened with, its automatic (0) step limits replaced by those chosen. */
    EngineConfig config();

    Tokenizer tokenizer();

    /** Fails queued and running requests with an error result, stops the engine thread and frees the model. */
    @Override
    void close();
}
