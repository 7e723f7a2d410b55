package dev.flood.spark.runtime;

import dev.flood.api.EngineMetrics;
import dev.flood.api.FloodEngine;
import dev.flood.api.FloodException;
import dev.flood.api.PrefixCacheClaims;
import dev.flood.api.PrefixCacheStats;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Streams one partition's rows through the engine(s) of its calls: keeps up to {@code maxInFlightRows} rows
 * submitted and unfinished (the backpressure window: the input is pulled only as rows leave), and emits rows in
 * input order, each with one value per call. The engine batches these rows with those of every other task on
 * the executor. Shared by the physical operator (rows are {@code InternalRow}) and the {@code transform}
 * helpers (rows are {@code Row}).
 *
 * <p>Cancelling: the rows in the window are cancelled in the engine (they leave its batch at its next step) when
 * the task is killed while waiting (interrupted, or {@code killed} turns true: Spark marks a killed task without
 * interrupting it unless asked to), and by {@link #cancelInFlight} when the task ends with rows still in flight
 * (a failure elsewhere in the task, or a consumer such as {@code limit} that stopped early). The window is touched
 * only by the task's thread, which also runs Spark's task completion listeners.
 *
 * @param <R> the row type
 */
public final class PartitionRunner<R> {

    /** Reads one call's input from a row. */
    public interface InputReader<R> {
        CallInput read(R row, int call);
    }

    /** An input row and its calls' values, in call order. */
    public record Evaluated<R>(R row, Object[] values) {
    }

    /** A row in the window: its inputs and its calls' pending results. */
    private record Pending<R>(R row, long rowNumber, CallInput[] inputs, CompletableFuture<?>[] results) {
    }

    /** How often a task waiting for a row checks whether it was killed without an interrupt. */
    private static final long KILL_CHECK_MILLIS = 100;

    private final List<CallRunner> calls;
    private final InputReader<R> reader;
    private final int maxInFlightRows;
    private final RunnerMetrics metrics;
    private final BooleanSupplier killed;
    private final ArrayDeque<Pending<R>> window = new ArrayDeque<>();
    /** The task's partition index, for error messages. */
    private final int partition;
    /** Each distinct engine's counters when the runner started, for the mean batch over the task. */
    private final Map<FloodEngine, EngineMetrics> startMetrics = new IdentityHashMap<>();
    private boolean finished;

    /** @param partition the task's partition index, named in on_error=fail messages */
    public PartitionRunner(List<CallRunner> calls, InputReader<R> reader, int maxInFlightRows, RunnerMetrics metrics,
                           int partition) {
        this(calls, reader, maxInFlightRows, metrics, partition, () -> false);
    }

    /**
     * A runner whose waits end, cancelling the rows in flight, once {@code killed} is true (checked while waiting).
     *
     * @param partition the task's partition index, named in on_error=fail messages
     */
    public PartitionRunner(List<CallRunner> calls, InputReader<R> reader, int maxInFlightRows, RunnerMetrics metrics,
                           int partition, BooleanSupplier killed) {
        if (calls.isEmpty()) {
            throw new IllegalArgumentException("a partition runner needs at least one call");
        }
        if (maxInFlightRows < 1) {
            throw new IllegalArgumentException("maxInFlightRows must be >= 1, got " + maxInFlightRows);
        }
        this.calls = List.copyOf(calls);
        this.reader = reader;
        this.maxInFlightRows = maxInFlightRows;
        this.metrics = metrics;
        this.killed = killed;
        this.partition = partition;
        for (CallRunner call : calls) {
            startMetrics.computeIfAbsent(call.engine(), FloodEngine::metrics);
            PrefixCacheClaims.register(call.engine());
        }
    }

    /** The rows of {@code input} with their values, in input order. Call once. */
    public Iterator<Evaluated<R>> run(Iterator<R> input) {
        return new Iterator<>() {
            private long submitted;

            @Override
            public boolean hasNext() {
                fill();
                if (window.isEmpty()) {
                    finish();
                    return false;
                }
                return true;
            }

            @Override
            public Evaluated<R> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                // the head stays in the window while it is awaited, so that a kill cancels it with the others
                Evaluated<R> evaluated = complete(window.peek());
                window.poll();
                fill();
                return evaluated;
            }

            private void fill() {
                while (window.size() < maxInFlightRows && input.hasNext()) {
                    window.add(submit(input.next(), submitted++));
                }
            }
        };
    }

    /**
     * Cancels every row still in flight in the engine and forgets them; returns how many there were. Called on the
     * task's thread when the task ends (a no-op after a complete run) or is killed.
     */
    public int cancelInFlight() {
        int rows = window.size();
        for (Pending<R> pending : window) {
            for (CompletableFuture<?> result : pending.results()) {
                result.cancel(false);
            }
        }
        window.clear();
        return rows;
    }

    /**
     * Records the engine's mean running batch over the task, claims its prefix cache counters (what a sum over
     * tasks of those means: {@link PrefixCacheClaims}) and notes its cached prefixes now. Idempotent; called when
     * the input is exhausted and again (as a no-op, or for a task cut short) when the task completes.
     */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        double batchSum = 0;
        long steps = 0;
        long cachedPromptTokens = 0;
        long lookedUpPromptTokens = 0;
        int cachedPrefixTokens = 0;
        int cachedPrefixExtents = 0;
        for (Map.Entry<FloodEngine, EngineMetrics> e : startMetrics.entrySet()) {
            PrefixCacheStats claimed = PrefixCacheClaims.claim(e.getKey());
            cachedPromptTokens += claimed.hitTokens();
            lookedUpPromptTokens += claimed.lookedUpTokens();
            EngineMetrics before = e.getValue();
            EngineMetrics after = e.getKey().metrics();
            // the engine keeps a mean over all steps since it opened: mean * steps recovers the sum of batch sizes
            batchSum += after.meanRunningBatch() * after.steps() - before.meanRunningBatch() * before.steps();
            steps += after.steps() - before.steps();
            cachedPrefixTokens += after.cache().cachedTokens();
            cachedPrefixExtents += after.cache().cachedExtents();
        }
        if (steps > 0) {
            metrics.meanRunningBatch(batchSum / steps);
        }
        metrics.prefixCache(cachedPromptTokens, lookedUpPromptTokens, cachedPrefixTokens, cachedPrefixExtents);
    }

    private Pending<R> submit(R row, long rowNumber) {
        CallInput[] inputs = new CallInput[calls.size()];
        CompletableFuture<?>[] results = new CompletableFuture<?>[calls.size()];
        for (int c = 0; c < calls.size(); c++) {
            inputs[c] = reader.read(row, c);
            results[c] = calls.get(c).submit(inputs[c]);
        }
        return new Pending<>(row, rowNumber, inputs, results);
    }

    private Evaluated<R> complete(Pending<R> pending) {
        Object[] values = new Object[calls.size()];
        long promptTokens = 0;
        long generatedTokens = 0;
        for (int c = 0; c < calls.size(); c++) {
            Object raw = await(pending.results()[c]);
            promptTokens += CallRunner.promptTokens(raw);
            generatedTokens += CallRunner.generatedTokens(raw);
            values[c] = calls.get(c).value(pending.inputs()[c], raw,
                    new RowFailure.RowPosition(pending.rowNumber(), partition));
        }
        metrics.row(promptTokens, generatedTokens);
        return new Evaluated<>(pending.row(), values);
    }

    private Object await(CompletableFuture<?> result) {
        long start = System.nanoTime();
        try {
            while (true) {
                if (killed.getAsBoolean()) {
                    throw new FloodException("the task was killed: its " + cancelInFlight()
                            + " rows in flight were cancelled");
                }
                try {
                    return result.get(KILL_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // not done yet: check for a kill again
                }
            }
        } catch (InterruptedException e) {
            int rows = cancelInFlight();
            Thread.currentThread().interrupt();
            throw new FloodException("interrupted while waiting for the Flood engine: its " + rows
                    + " rows in flight were cancelled", e);
        } catch (ExecutionException e) {
            throw new FloodException("the Flood engine failed: " + e.getCause(), e.getCause());
        } finally {
            metrics.waited(System.nanoTime() - start);
        }
    }
}
