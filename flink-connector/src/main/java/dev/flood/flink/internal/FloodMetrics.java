package dev.flood.flink.internal;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * One subtask's metrics, in the group {@code <operator>.flood}: {@code requestsInFlight} (gauge), {@code requests},
 * {@code errors}, {@code <tokens>} (counters) and {@code <tokens>PerSecond} (a meter over the token counter).
 * Requests start on the task thread and finish on the engine's, hence the thread-safe counters.
 */
@Internal
public final class FloodMetrics {

    public static final String GROUP = "flood";
    public static final String IN_FLIGHT = "requestsInFlight";
    public static final String REQUESTS = "requests";
    public static final String ERRORS = "errors";
    public static final String GENERATED_TOKENS = "generatedTokens";
    public static final String SCORED_TOKENS = "scoredTokens";

    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter requests = new ThreadSafeSimpleCounter();
    private final Counter errors = new ThreadSafeSimpleCounter();
    private final Counter tokens = new ThreadSafeSimpleCounter();

    /** {@code tokensName}: {@link #GENERATED_TOKENS} or {@link #SCORED_TOKENS}. */
    public FloodMetrics(MetricGroup operatorGroup, String tokensName) {
        MetricGroup group = operatorGroup.addGroup(GROUP);
        group.gauge(IN_FLIGHT, inFlight::get);
        group.counter(REQUESTS, requests);
        group.counter(ERRORS, errors);
        group.counter(tokensName, tokens);
        group.meter(tokensName + "PerSecond", new MeterView(tokens));
    }

    public void started() {
        inFlight.incrementAndGet();
        requests.inc();
    }

    public void finished(int numTokens, boolean failed) {
        inFlight.decrementAndGet();
        tokens.inc(numTokens);
        if (failed) {
            errors.inc();
        }
    }

    /** A record given up on (timeout): an error now; its request stays in flight until the engine finishes it. */
    public void abandoned() {
        errors.inc();
    }
}
