package dev.flood.engine;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodException;
import dev.flood.backend.DeviceLostException;
import dev.flood.backend.OutOfDeviceMemoryException;
import dev.flood.engine.pipeline.BackendFactory;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the engine heals after a step fails for a reason that is no request's own: it reopens the closed pipeline,
 * with the configuration it ran with or a smaller one, while the policy allows another restart. Touched only by the
 * engine thread.
 *
 * <p>A restart is allowed while fewer than {@link Policy#maxRestarts()} happened within the {@link Policy#window()}
 * before it; one more gives up (the engine fails the unfinished requests with the cause), starts the count afresh,
 * and still reopens once for the requests to come. A reopening that fails counts as another fault. After running
 * out of memory (on the device, or the JVM's heap on the CPU backend) the pipeline reopens with three quarters of
 * its cache, never less than the largest request waiting needs, and half its step budget, and keeps them; after
 * any other fault, as it was. A lost device ({@link DeviceLostException}: a sticky CUDA fault) is not reopened at
 * all: no backend can open on it again in this process, so the unfinished requests fail and the engine is broken.
 */
final class Recovery {

    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /**
     * What healing came to.
     *
     * @param reopened the model on its new pipeline, or null when none could be opened
     * @param failure  why the unfinished requests fail (the engine gave up), or null when they go on
     * @param broken   with no pipeline, why every request fails from now on; else null
     */
    record Outcome(LoadedModel reopened, String failure, String broken) {
    }

    /**
     * @param maxRestarts most restarts within {@code window}; 0 never restarts (a failed step fails its requests)
     * @param window      how far back restarts count
     * @param nanoClock   the time, as {@link System#nanoTime}
     */
    record Policy(int maxRestarts, Duration window, LongSupplier nanoClock) {

        /** Three restarts within ten minutes: a reload of a large model takes tens of seconds. */
        static final Policy DEFAULT = new Policy(3, Duration.ofMinutes(10), System::nanoTime);

        Policy {
            if (maxRestarts < 0) {
                throw new IllegalArgumentException("maxRestarts must be >= 0, got " + maxRestarts);
            }
        }

        String describe() {
            return maxRestarts + " restart" + (maxRestarts == 1 ? "" : "s") + " within " + window.toSeconds() + " s";
        }
    }

    private final Policy policy;
    private final BackendFactory backends;
    private final Deque<Long> restarts = new ArrayDeque<>();   // nanoClock of each restart within the window
    private EngineConfig running;   // what the pipeline runs with: smaller after running out of memory

    Recovery(Policy policy, BackendFactory backends, EngineConfig config) {
        this.policy = policy;
        this.backends = backends;
        this.running = config;
    }

    /** The configuration the pipeline runs with now. */
    EngineConfig running() {
        return running;
    }

    /**
     * Reopens {@code closed}'s model on a new pipeline after {@code fault} (its pipeline is closed already) for
     * {@code unfinished} requests, the largest of which needs {@code minCacheTokens} cache slots.
     */
    Outcome reopen(Throwable fault, LoadedModel closed, int unfinished, int minCacheTokens) {
        DeviceLostException lost = deviceLost(fault);
        if (lost != null) {
            LOG.error("Flood engine: the device is lost; failing {} unfinished requests, and every request from now on",
                    unfinished, fault);
            String why = "the engine's device is lost: " + lost.getMessage();
            return new Outcome(null, why, why);
        }
        int cacheTokens = closed.pipeline().cacheTokens();
        String failure = null;
        Throwable cause = fault;
        while (true) {
            if (failure == null && !allowRestart()) {
                LOG.error("Flood engine: a step failed again after {}; failing {} unfinished requests",
                        policy.describe(), unfinished, cause);
                failure = "the engine gave up after " + policy.describe() + ": " + describe(cause);
            } else if (failure == null) {
                LOG.warn("Flood engine: a step failed; reopening the pipeline and recomputing {} unfinished requests",
                        unfinished, cause);
            }
            try {
                EngineConfig next = reopening(cause, running, cacheTokens, minCacheTokens);
                LoadedModel reopened = closed.reopen(next, backends);
                running = next;
                return new Outcome(reopened, failure, null);
            } catch (RuntimeException | Error e) {
                e.addSuppressed(cause);
                cause = e;
                if (failure != null) {
                    LOG.error("Flood engine: the pipeline could not be reopened; every request fails from now on", e);
                    return new Outcome(null, failure, "the engine could not reopen its pipeline after a fault: "
                            + describe(e));
                }
            }
        }
    }

    /** Counts a restart now if the policy allows one; false (and the count starts afresh) when it does not. */
    private boolean allowRestart() {
        long now = policy.nanoClock().getAsLong();
        while (!restarts.isEmpty() && now - restarts.peekFirst() > policy.window().toNanos()) {
            restarts.pollFirst();
        }
        if (restarts.size() >= policy.maxRestarts()) {
            restarts.clear();
            return false;
        }
        restarts.addLast(now);
        return true;
    }

    /**
     * The configuration to reopen with after {@code fault}, from the one the pipeline ran with ({@code current},
     * whose cache had {@code cacheTokens} slots); the cache keeps at least {@code minCacheTokens}.
     */
    static EngineConfig reopening(Throwable fault, EngineConfig current, int cacheTokens, int minCacheTokens) {
        if (!outOfMemory(fault)) {
            return current;
        }
        return current.toBuilder()
                .cacheTokens(Math.max(Math.max(minCacheTokens, 1), cacheTokens / 4 * 3))
                .maxBatchTokens(Math.max(1, current.maxBatchTokens() / 2))
                .build();
    }

    /** The lost device among {@code fault}, its causes and what it suppressed, or null. */
    static DeviceLostException deviceLost(Throwable fault) {
        return causes(fault).flatMap(t -> Stream.concat(Stream.of(t), Arrays.stream(t.getSuppressed())))
                .filter(DeviceLostException.class::isInstance).map(DeviceLostException.class::cast)
                .findFirst().orElse(null);
    }

    /** Whether {@code fault} or one of its causes is running out of memory. */
    static boolean outOfMemory(Throwable fault) {
        return causes(fault).anyMatch(t -> t instanceof OutOfDeviceMemoryException || t instanceof OutOfMemoryError);
    }

    /** {@code fault} and its chain of causes, outermost first. */
    private static Stream<Throwable> causes(Throwable fault) {
        return Stream.iterate(fault, t -> t != null, t -> t.getCause() == t ? null : t.getCause());
    }

    /** A fault as a request's error: Flood's own message, or the exception's class and message. */
    static String describe(Throwable fault) {
        return fault instanceof FloodException ? fault.getMessage() : fault.toString();
    }
}
