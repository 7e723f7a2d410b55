package dev.flood.spark.runtime;

import dev.flood.api.EngineConfig;
import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationHandle;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.OptionScores;
import dev.flood.api.ScoreRequest;
import dev.flood.api.ScoreResult;
import dev.flood.config.ModelConfig;
import dev.flood.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A real engine that removes itself from {@code open} when closed, so tests see what the registry closed. */
record ClosingProbe(FloodEngine delegate, Set<FloodEngine> open) implements FloodEngine {

    @Override
    public List<GenerationResult> generate(List<GenerateRequest> requests) {
        return delegate.generate(requests);
    }

    @Override
    public CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener) {
        return delegate.submit(request, listener);
    }

    @Override
    public GenerationHandle stream(GenerateRequest request, GenerationListener listener) {
        return delegate.stream(request, listener);
    }

    @Override
    public List<ScoreResult> score(List<String> texts) {
        return delegate.score(texts);
    }

    @Override
    public CompletableFuture<ScoreResult> submitScore(ScoreRequest request) {
        return delegate.submitScore(request);
    }

    @Override
    public CompletableFuture<OptionScores> submitOptions(String prompt, List<String> options) {
        return delegate.submitOptions(prompt, options);
    }

    @Override
    public EngineMetrics metrics() {
        return delegate.metrics();
    }

    @Override
    public ModelConfig modelConfig() {
        return delegate.modelConfig();
    }

    @Override
    public EngineConfig config() {
        return delegate.config();
    }

    @Override
    public Tokenizer tokenizer() {
        return delegate.tokenizer();
    }

    @Override
    public void close() {
        delegate.close();
        open.remove(delegate);
    }
}
