package dev.flood.api;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A request queued with {@link FloodEngine#stream}: its result, and a way to stop it early.
 *
 * <p>{@link #cancel()} stops the request at the engine's next step and {@link #result()} then completes normally
 * with a {@link FinishReason#CANCELLED} result holding what was generated until then (the listener has seen
 * exactly that text). Cancelling {@code result()} itself instead follows {@link CompletableFuture#cancel}: the
 * future is cancelled at once and the listener still receives the cancelled result.
 *
 * @param result   completes with the request's result, whatever ends it
 * @param canceller stops the request; does nothing once it has finished
 */
public record GenerationHandle(CompletableFuture<GenerationResult> result, Runnable canceller) {

    public GenerationHandle {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(canceller, "canceller");
    }

    /** Stops the request (see the class comment); safe to call from any thread, any number of times. */
    public void cancel() {
        canceller.run();
    }
}
