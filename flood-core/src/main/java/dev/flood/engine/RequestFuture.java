package dev.flood.engine;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The future a caller gets for a request: cancelling it (the {@code Future} contract: it is cancelled at once)
 * also tells the engine to drop the request. The engine sets what a cancel does before the caller sees the future.
 */
final class RequestFuture<T> extends CompletableFuture<T> {

    private volatile Runnable onCancel = () -> { };

    /**
     * A future made of several requests' futures ({@code parts}): it completes as {@code result}, computed from
     * them, completes, and cancelling it cancels every part.
     */
    static <T> RequestFuture<T> joining(CompletableFuture<T> result, List<? extends CompletableFuture<?>> parts) {
        RequestFuture<T> joined = new RequestFuture<>();
        joined.onCancel(() -> parts.forEach(part -> part.cancel(false)));
        result.whenComplete((value, error) -> {
            if (error == null) {
                joined.complete(value);
            } else {
                joined.completeExceptionally(error);
            }
        });
        return joined;
    }

    /** What a successful {@link #cancel} runs, on the cancelling thread: it must only hand the cancel on. */
    void onCancel(Runnable action) {
        onCancel = action;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            onCancel.run();
        }
        return cancelled;
    }
}
