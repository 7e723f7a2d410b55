package dev.flood.flink.testing;

import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.api.SamplingParams;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Holds a real engine's thread inside a token callback, so that a test can act while the engine takes no step
 * (its step count cannot move). The hold is a request of its own (one prompt token, up to 400 tokens past EOS):
 * its first token blocks the engine thread until {@link #holdAgainWhen} lets it go on; it then blocks it again at
 * its first token after which the condition holds (the engine's published counts are those of the step before),
 * until {@link #release}, which also cancels it. Other requests queued while the engine is held are admitted once
 * it goes on. Waits are bounded by {@link Polling#DEADLINE_MINUTES} only to turn a hang into a failure.
 */
public final class EngineHold implements AutoCloseable {

    private static final int HOLD_TOKENS = 400;

    private final FloodEngine engine;
    private final CountDownLatch firstHeld = new CountDownLatch(1);
    private final CountDownLatch goOn = new CountDownLatch(1);
    private final CountDownLatch heldAgain = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile BooleanSupplier holdAgain = () -> false;
    private volatile boolean endedUnheld;
    private final CompletableFuture<GenerationResult> request;

    private EngineHold(FloodEngine engine) {
        this.engine = engine;
        GenerationListener listener = new GenerationListener() {
            @Override
            public void onTokens(String textDelta, List<Integer> newTokenIds) {
                if (firstHeld.getCount() > 0) {
                    firstHeld.countDown();
                    awaitOnEngineThread(goOn);
                } else if (heldAgain.getCount() > 0 && holdAgain.getAsBoolean()) {
                    heldAgain.countDown();
                    awaitOnEngineThread(released);
                }
            }

            @Override
            public void onComplete(GenerationResult result) {
                if (heldAgain.getCount() > 0) {
                    endedUnheld = true;
                    heldAgain.countDown();
                }
            }
        };
        request = engine.submit(GenerateRequest.ofTokens(List.of(0),
                SamplingParams.builder().maxNewTokens(HOLD_TOKENS).ignoreEos().build()), listener);
    }

    /** Holds {@code engine}'s thread; returns once it is held. */
    public static EngineHold start(FloodEngine engine) throws InterruptedException {
        EngineHold hold = new EngineHold(engine);
        Polling.await(hold.firstHeld, "the engine to take the hold's first step");
        return hold;
    }

    /**
     * Lets the engine go on until {@code condition} holds (checked at each of the hold's tokens, on the engine
     * thread), then holds it again; returns once it is held.
     */
    public void holdAgainWhen(BooleanSupplier condition) throws InterruptedException {
        holdAgain = condition;
        goOn.countDown();
        Polling.await(heldAgain, "the engine to be held again");
        if (endedUnheld) {
            throw new AssertionError("the hold's " + HOLD_TOKENS + " tokens ran out before its condition held");
        }
    }

    /** The engine's step count (fixed while it is held). */
    public long steps() {
        return engine.metrics().steps();
    }

    /** Cancels the hold's request and lets the engine go on; idempotent. */
    public void release() {
        request.cancel(false);
        goOn.countDown();
        released.countDown();
    }

    @Override
    public void close() {
        release();
    }

    private static void awaitOnEngineThread(CountDownLatch latch) {
        try {
            latch.await(Polling.DEADLINE_MINUTES, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
