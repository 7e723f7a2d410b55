package dev.flood.testing;

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
import java.util.concurrent.CompletableFuture;

/**
 * An engine that hands every call to another; the connectors' tests override the calls they watch or hold back
 * (as {@link ForwardingBackend} does for backends).
 */
public abstract class ForwardingEngine implements FloodEngine {

    protected final FloodEngine delegate;

    protected ForwardingEngine(FloodEngine delegate) {
        this.delegate = delegate;
    }

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
    }
}
