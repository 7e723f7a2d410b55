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
 */
public interface FloodEngine extends AutoCloseable {

    /** Loads the model and starts the engine thread. Throws {@link FloodException} if the model cannot be loaded. */
    static FloodEngine open(EngineConfig config) {
        return dev.flood.engine.Engine.open(config);
    }

    /** Generates a completion for every request; results in input order. Blocks until all are done. */
    List<GenerationResult> generate(List<GenerateRequest> requests);

    /** Queues one request; the future completes with its result (never exceptionally for bad input). */
    CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener);

    /**
     * Per-token log-probabilities, mean NLL and perplexity of each text, with the default {@link ScoreOptions};
     * results in input order. Blocks until all are done.
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
