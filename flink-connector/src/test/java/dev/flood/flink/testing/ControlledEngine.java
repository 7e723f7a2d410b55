package dev.flood.flink.testing;

import dev.flood.api.EngineConfig;
import dev.flood.api.FloodEngine;
import dev.flood.api.GenerateRequest;
import dev.flood.api.GenerationListener;
import dev.flood.api.GenerationResult;
import dev.flood.flink.EngineFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real engine whose results are handed back in an order the test controls, never after a delay, so that no test
 * depends on how fast the machine is. It records what the connector did with it in {@link Stats}, by factory name.
 * <ul>
 *   <li>a prompt starting with {@link #LATE} is handed back only after a request submitted after it was handed
 *       back (or when every request in flight is waiting here, so that a job can always finish);</li>
 *   <li>a prompt starting with {@link #HELD} is handed back only after {@link #releaseHeld};</li>
 *   <li>a prompt starting with {@link #FLAKY} gets an error result on its first submit;</li>
 *   <li>with a gate ({@link Factory#gateInFlight}) nothing is handed back until that many requests are in flight
 *       at once, or until {@link #openGate}; the gate then stays open for the factory's name.</li>
 * </ul>
 */
public final class ControlledEngine extends InterceptingEngine {

    public static final String LATE = "late ";
    public static final String HELD = "held ";
    public static final String FLAKY = "flaky ";
    /** A gate that only {@link #openGate} opens. */
    public static final int UNTIL_OPENED = Integer.MAX_VALUE;

    /** Hands every result back and runs the rules above; no other thread touches a {@link Stats}' queue. */
    private static final ExecutorService DISPATCHER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "controlled-engine");
        t.setDaemon(true);
        return t;
    });
    private static final Map<String, Stats> STATS = new ConcurrentHashMap<>();

    /**
     * Opens a {@link ControlledEngine}; a record, so equal factories share one engine as the registry expects.
     *
     * @param gateInFlight requests in flight at once that open the gate; 0 for no gate, {@link #UNTIL_OPENED}
     */
    public record Factory(String name, int gateInFlight) implements EngineFactory {
        @Override
        public FloodEngine open(EngineConfig config) {
            stats(name).opens.incrementAndGet();
            return new ControlledEngine(FloodEngine.open(config), this);
        }
    }

    /** What one factory's engines saw (read by tests), and the results they hold back (dispatcher thread only). */
    public static final class Stats {
        public final AtomicInteger opens = new AtomicInteger();
        public final AtomicInteger closes = new AtomicInteger();
        public final AtomicInteger inFlight = new AtomicInteger();
        public final AtomicInteger maxInFlight = new AtomicInteger();
        /** Requests whose caller cancelled the handed-back future; each cancels the real engine's request. */
        public final AtomicInteger cancelled = new AtomicInteger();
        public final Map<String, Integer> submitsByPrompt = new ConcurrentHashMap<>();
        public final List<String> completionOrder = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger sequences = new AtomicInteger();
        /** Results handed back (counted before the connector sees them) and delivered (after it has). */
        private int completed;
        private int delivered;
        private final List<Waiting> waiting = new ArrayList<>();
        private volatile boolean gateOpen;
        private boolean heldReleased;
        private int lastHandedBack = -1;

        /** Whether the gate has opened (results flow). */
        public boolean gateOpen() {
            return gateOpen;
        }

        public int submits() {
            return submitsByPrompt.values().stream().mapToInt(Integer::intValue).sum();
        }

        public synchronized int completed() {
            return completed;
        }

        /** Blocks until the connector has been handed {@code count} results (its callbacks have run). */
        public synchronized void awaitDelivered(int count) throws InterruptedException {
            while (delivered < count) {
                wait();
            }
        }

        private void arrived(Waiting result) {
            waiting.add(result);
            dispatch();
        }

        private void openGate() {
            gateOpen = true;
            dispatch();
        }

        private void releaseHeld() {
            heldReleased = true;
            dispatch();
        }

        private void dispatch() {
            boolean handedBack = true;
            while (handedBack) {
                handedBack = false;
                for (Waiting result : List.copyOf(waiting)) {
                    if (releasable(result)) {
                        waiting.remove(result);
                        handBack(result);
                        handedBack = true;
                    }
                }
            }
        }

        private boolean releasable(Waiting result) {
            if (!gateOpen) {
                return false;
            }
            if (result.prompt().startsWith(HELD)) {
                return heldReleased;
            }
            if (result.prompt().startsWith(LATE)) {
                return lastHandedBack > result.sequence() || inFlight.get() == waiting.size();
            }
            return true;
        }

        private void handBack(Waiting result) {
            // leave the in-flight count before the connector sees the result and frees its slot
            inFlight.decrementAndGet();
            lastHandedBack = Math.max(lastHandedBack, result.sequence());
            completionOrder.add(result.prompt());
            synchronized (this) {
                completed++;
            }
            if (result.error() != null) {
                result.future().completeExceptionally(result.error());
            } else if (result.prompt().startsWith(FLAKY) && result.attempt() == 1) {
                result.future().complete(GenerationResult.failed("injected failure of a first attempt", 0));
            } else {
                result.future().complete(result.result());
            }
            synchronized (this) {
                delivered++;
                notifyAll();
            }
        }
    }

    /** A result the engine produced, waiting to be handed back. */
    private record Waiting(int sequence, String prompt, int attempt, CompletableFuture<GenerationResult> future,
                           GenerationResult result, Throwable error) {
    }

    public static Stats stats(String name) {
        return STATS.computeIfAbsent(name, n -> new Stats());
    }

    /** Opens the gate of the factory named {@code name}. */
    public static void openGate(String name) {
        Stats stats = stats(name);
        DISPATCHER.execute(stats::openGate);
    }

    /** Hands back the {@link #HELD} results of the factory named {@code name}, now and from now on. */
    public static void releaseHeld(String name) {
        Stats stats = stats(name);
        DISPATCHER.execute(stats::releaseHeld);
    }

    private final Factory factory;
    private final Stats stats;

    private ControlledEngine(FloodEngine delegate, Factory factory) {
        super(delegate);
        this.factory = factory;
        this.stats = stats(factory.name());
    }

    @Override
    public CompletableFuture<GenerationResult> submit(GenerateRequest request, GenerationListener listener) {
        String prompt = String.valueOf(request.prompt());
        int attempt = stats.submitsByPrompt.merge(prompt, 1, Integer::sum);
        int sequence = stats.sequences.getAndIncrement();
        int inFlight = stats.inFlight.incrementAndGet();
        stats.maxInFlight.accumulateAndGet(inFlight, Math::max);
        if (inFlight >= factory.gateInFlight()) {
            DISPATCHER.execute(stats::openGate);
        }
        CompletableFuture<GenerationResult> handedBack = new CompletableFuture<>();
        CompletableFuture<GenerationResult> real = delegate.submit(request, listener);
        handedBack.whenComplete((result, error) -> {
            if (handedBack.isCancelled()) {
                stats.cancelled.incrementAndGet();
                real.cancel(false);
            }
        });
        real.whenComplete((result, error) -> DISPATCHER.execute(() ->
                stats.arrived(new Waiting(sequence, prompt, attempt, handedBack, result, error))));
        return handedBack;
    }


    @Override
    public void close() {
        stats.closes.incrementAndGet();
        delegate.close();
    }
}
