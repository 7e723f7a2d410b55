package dev.flood.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Holds the engine thread in a request's first {@code onTokens} while a test queues or cancels requests, so that
 * the engine takes all of it at once when released, however fast either thread runs. The held request is a
 * one-token prompt ({@code [0]}) that generates one token: it runs alone in the step before.
 *
 * <p>While held, {@link FloodEngine#metrics()} still counts what callers submit as waiting requests.
 */
public final class EngineGate implements GenerationListener {

    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch opened = new CountDownLatch(1);
    private CompletableFuture<GenerationResult> held;

    private EngineGate() {
    }

    /** Runs {@code action} while the engine thread is held; returns once the held request has completed. */
    public static void whileHeld(FloodEngine engine, Consumer<FloodEngine> action) throws InterruptedException {
        EngineGate gate = hold(engine);
        try {
            action.accept(engine);
        } finally {
            gate.release();
        }
        assertFalse(gate.held.join().isError());
    }

    /** Holds {@code engine}'s thread; returns once it is held, until {@link #release}. */
    public static EngineGate hold(FloodEngine engine) throws InterruptedException {
        EngineGate gate = new EngineGate();
        CompletableFuture<GenerationResult> held = engine.submit(GenerateRequest.ofTokens(List.of(0),
                SamplingParams.greedy(1)), gate);
        gate.held = held;
        // a held request that fails never reaches onTokens: stop waiting then, rather than hang
        while (!gate.holding.await(100, TimeUnit.MILLISECONDS)) {
            assertFalse(held.isDone() && held.join().isError(),
                    () -> "the held request failed: " + held.join().error());
        }
        return gate;
    }

    /** Lets the engine go on; idempotent. */
    public void release() {
        opened.countDown();
    }

    @Override
    public void onTokens(String textDelta, List<Integer> newTokenIds) {
        if (holding.getCount() > 0) {
            holding.countDown();
            try {
                opened.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
