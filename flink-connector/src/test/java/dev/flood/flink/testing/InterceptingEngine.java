package dev.flood.flink.testing;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationHandle;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.testing.ForwardingEngine;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A test engine that intercepts {@link #submit}: streaming and batch generation go through it too, so every
 * request the connector makes is seen there.
 */
abstract class InterceptingEngine extends ForwardingEngine {

    InterceptingEngine(FloodEngine delegate) {
        super(delegate);
    }

    /** As {@link #submit}; the handle cancels the submitted future (and through it the engine's request). */
    @Override
    public GenerationHandle stream(GenerateRequest request, GenerationListener listener) {
        CompletableFuture<GenerationResult> result = submit(request, listener);
        return new GenerationHandle(result, () -> result.cancel(false));
    }

    @Override
    public List<GenerationResult> generate(List<GenerateRequest> requests) {
        return requests.stream().map(r -> submit(r, GenerationListener.NONE)).toList()
                .stream().map(CompletableFuture::join).toList();
    }
}
