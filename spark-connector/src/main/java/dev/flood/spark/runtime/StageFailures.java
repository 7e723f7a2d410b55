package dev.flood.spark.runtime;

import java.io.Serializable;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.plugin.PluginContext;

/**
 * Fails a stage at once when a row fails under {@code on_error=fail}: that row would fail every retry, and Spark
 * retries a failed task up to {@code spark.task.maxFailures} times, each re-running the partition. The task asks
 * the driver ({@link dev.flood.spark.FloodSparkPlugin}'s driver side) to cancel its stage with the row's message,
 * then waits for the cancellation to kill it: the cancelled stage's task set accepts no retry, and the job fails
 * with "cancelled because" the message. Without the plugin (no executor-side context) the failure is simply
 * thrown, and Spark retries it.
 *
 * <p>The executor's plugin context is set once, by the executor plugin's {@code init}, before any task runs.
 */
public final class StageFailures {

    /** The most time a task waits for its stage's cancellation to reach it before throwing the failure itself. */
    private static final long KILL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long POLL_MILLIS = 10;

    private static volatile PluginContext executorPlugin;

    private StageFailures() {
    }

    /** The driver-side request: cancel {@code stageId}, giving {@code reason} as the job's failure. */
    public record CancelStage(int stageId, String reason) implements Serializable {
    }

    /** Called by the executor plugin's init. */
    public static void executorStarted(PluginContext context) {
        executorPlugin = context;
    }

    /** The driver plugin's answer to a {@link CancelStage} message. */
    public static Object cancel(SparkContext sparkContext, CancelStage request) {
        sparkContext.cancelStage(request.stageId(), request.reason());
        return Boolean.TRUE;
    }

    /**
     * Has the task's stage cancelled and waits for this task to be killed (which throws Spark's
     * TaskKilledException); returns {@code failure} to throw where that cannot happen.
     */
    static RuntimeException failStage(TaskContext task, RowFailure failure) {
        PluginContext plugin = executorPlugin;
        if (plugin == null || task == null) {
            return failure;
        }
        try {
            plugin.ask(new CancelStage(task.stageId(), failure.getMessage()));
        } catch (Exception e) {
            failure.addSuppressed(e);
            return failure;
        }
        long deadline = System.nanoTime() + KILL_WAIT_NANOS;
        try {
            // the kill only marks the task (the stage's jobs do not interrupt threads by default): poll the mark
            while (!task.isInterrupted() && System.nanoTime() < deadline) {
                Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        task.killTaskIfInterrupted();
        return failure;
    }
}
